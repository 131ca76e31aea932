"""Facts about the clouds the plan targets: regions, zones and published SLAs (2026-11).

Kept offline and dated like the price table: the planner never calls a cloud API. The SLA
figures are the providers' published monthly uptime commitments for the multi-zone form of
each service; the zone and pod figures are planning assumptions, stated so an SRE can
disagree with a number rather than with a hidden constant.
"""

from __future__ import annotations

# The published regional SLA lives with the spec checks, which reject targets above it.
from mlopsgen.spec.availability import REGIONAL_SLA_PERCENT as REGIONAL_SLA_PERCENT

CLOUD_TABLE_DATE = "2026-11"

#: Zone letters per known region (the plan uses the first ``zones`` of them).
REGION_ZONES: dict[tuple[str, str], tuple[str, ...]] = {
    ("aws", "us-east-1"): ("a", "b", "c", "d", "e", "f"),
    ("aws", "us-east-2"): ("a", "b", "c"),
    ("aws", "us-west-2"): ("a", "b", "c", "d"),
    ("aws", "eu-west-1"): ("a", "b", "c"),
    ("aws", "eu-central-1"): ("a", "b", "c"),
    ("aws", "ap-southeast-1"): ("a", "b", "c"),
    ("gcp", "us-central1"): ("a", "b", "c", "f"),
    ("gcp", "us-east1"): ("b", "c", "d"),
    ("gcp", "europe-west1"): ("b", "c", "d"),
    ("gcp", "europe-west4"): ("a", "b", "c"),
    ("gcp", "asia-southeast1"): ("a", "b", "c"),
}
ASSUMED_ZONE_LETTERS = ("a", "b", "c")
DEFAULT_REGION = {"aws": "us-east-1", "gcp": "us-central1"}

#: Published SLA of the load balancer in front of the service (the online store's SLA is
#: its own kind's: see :mod:`mlopsgen.plan.online_store`).
LOAD_BALANCER_SLA_PERCENT = {"aws": 99.99, "gcp": 99.99, "local": 100.0}

ZONE_AVAILABILITY = 0.999
"""Planning assumption: a zone is unavailable ~43 minutes a month (outages, network)."""
POD_AVAILABILITY = 0.99
"""Planning assumption: one pod is serving 99 % of the time (restarts, node loss, rollouts)."""


def zone_names(cloud: str, region: str | None, count: int) -> tuple[tuple[str, ...], int, bool]:
    """Concrete zone names for ``count`` zones, how many the region has, and if it is known.

    AWS names zones ``eu-west-1a``; GCP ``us-central1-a``. An unknown region is assumed to
    have three zones ``a``-``c``, which the caller reports.
    """
    if cloud == "local" or region is None:
        return (), 0, True
    letters = REGION_ZONES.get((cloud, region))
    known = letters is not None
    available = letters or ASSUMED_ZONE_LETTERS
    joiner = "" if cloud == "aws" else "-"
    names = tuple(f"{region}{joiner}{letter}" for letter in available[:count])
    return names, len(available), known
