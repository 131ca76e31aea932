"""Alertmanager routing from the spec's alert channels: pages and tickets to their receivers.

One receiver per severity holds every channel the spec lists for it (``page`` to PagerDuty
and Opsgenie, ``ticket`` to Slack or e-mail, as the spec says); the route sends an alert by its
``severity`` label, grouped by alert and service. Credentials never enter the file: each
channel reads its key, URL or (for a webhook, whose URL Alertmanager 0.25 reads only inline)
bearer token from a file under :data:`SECRETS_DIR` named after the channel and its target,
which the deployment mounts (a Kubernetes Secret). E-mail needs an SMTP relay:
``smtp_smarthost`` names the cluster's, to be changed where it differs.
"""

from __future__ import annotations

import re
from typing import Any

from mlopsgen.plan.ir.ops import AlertRoute
from mlopsgen.plan.ir.root import Plan

__all__ = ["SECRETS_DIR", "SEVERITIES", "alertmanager_config", "secret_file", "webhook_url"]

SECRETS_DIR = "/etc/alertmanager/secrets"
SEVERITIES = ("page", "ticket")
SMTP_RELAY = "smtp.monitoring.svc:25"
#: How long Alertmanager waits before re-sending an unresolved alert, by severity.
REPEAT = {"page": "1h", "ticket": "12h"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DNS_UNSAFE = re.compile(r"[^a-z0-9.-]+")
_URL = re.compile(r"https?://[^\s\"'<>\\]+")


def secret_file(route: AlertRoute) -> str:
    """Where a channel's credential is mounted: ``<dir>/<channel>-<target>``."""
    target = _UNSAFE.sub("-", route.target or "default").strip("-.") or "default"
    return f"{SECRETS_DIR}/{route.channel}-{target}"


def webhook_url(route: AlertRoute) -> str:
    """The spec's target when it is an http(s) URL, else ``http://<target>/``: the service of
    that name in the cluster (its name made DNS-safe)."""
    target = route.target or "alert-receiver"
    if _URL.fullmatch(target):
        return target
    host = _DNS_UNSAFE.sub("-", target.lower()).strip("-.")[:63].strip("-") or "alert-receiver"
    return f"http://{host}/"


def _config(route: AlertRoute, service: str) -> tuple[str, dict[str, Any]]:
    """The receiver entry for one channel: (its list key, its settings)."""
    secret = secret_file(route)
    resolved = {"send_resolved": True}
    if route.channel == "pagerduty":
        return "pagerduty_configs", {"routing_key_file": secret, **resolved}
    if route.channel == "opsgenie":
        return "opsgenie_configs", {"api_key_file": secret, **resolved}
    if route.channel == "slack":
        channel = route.target or f"#{service}"
        return "slack_configs", {"api_url_file": secret, "channel": channel, **resolved}
    if route.channel == "email":
        return "email_configs", {"to": route.target or f"{service}@localhost", **resolved}
    # Alertmanager before 0.26 reads a webhook's URL only inline: the URL names the receiver
    # (the spec's target, or the in-cluster service of that name) and the token comes from
    # the mounted file, as a bearer credential
    return "webhook_configs", {
        "url": webhook_url(route),
        "http_config": {"authorization": {"credentials_file": secret}},
        **resolved,
    }


def _receiver(severity: str, routes: list[AlertRoute], service: str) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": f"{service}-{severity}"}
    for route in routes:
        key, settings = _config(route, service)
        receiver.setdefault(key, []).append(settings)
    return receiver


def alertmanager_config(plan: Plan) -> dict[str, Any]:
    """``monitoring/alertmanager/alertmanager.yml`` for the plan's alert routes.

    A severity with no channel in the spec falls back to the other severity's receiver, so
    no alert is dropped; with no channel at all, alerts stay in Alertmanager's own UI.
    """
    service = str(plan.serving.service_name)
    routes = {s: [r for r in plan.monitoring.routes if r.severity == s] for s in SEVERITIES}
    receivers = [_receiver(s, routes[s], service) for s in SEVERITIES if routes[s]]
    names = {s: f"{service}-{s}" for s in SEVERITIES if routes[s]}
    fallback = f"{service}-none"
    if not receivers:
        receivers = [{"name": fallback}]
    default = names.get("ticket") or names.get("page") or fallback
    child_routes = [
        {
            "matchers": [f'severity="{severity}"'],
            "receiver": names.get(severity, default),
            "repeat_interval": REPEAT[severity],
        }
        for severity in SEVERITIES
    ]
    config: dict[str, Any] = {}
    if any(r.channel == "email" for r in plan.monitoring.routes):
        config["global"] = {"smtp_smarthost": SMTP_RELAY, "smtp_from": f"alertmanager@{service}"}
    config["route"] = {
        "receiver": default,
        "group_by": ["alertname", "service"],
        "group_wait": "30s",
        "group_interval": "5m",
        "routes": child_routes,
    }
    config["receivers"] = receivers
    return config
