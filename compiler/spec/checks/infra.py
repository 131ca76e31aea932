"""Checks that requirements and infrastructure do not contradict each other.

These are combinations each valid on its own that no stack can satisfy together: a GPU on
the CPU-only local stack, a GPU class the chosen cloud does not rent, a 99.99 % SLO in one
zone, a real-time latency objective for a batch-only service.
"""

from __future__ import annotations

from mlopsgen.diagnostics import Edit, delete_key, set_value
from mlopsgen.spec.availability import REGIONAL_SLA_PERCENT, ZONES_NEEDED, percent, zones_needed
from mlopsgen.spec.checks.context import CheckContext, listing
from mlopsgen.spec.source_map import SpecPath

GPU_CLASSES: dict[str, tuple[str, ...]] = {
    "aws": ("t4", "a10g", "l4", "a100", "h100"),
    "gcp": ("t4", "l4", "a100", "h100"),
    "local": (),
}
"""GPU classes each cloud offers in its managed Kubernetes node pools (A10G is AWS-only)."""


def _gpu_requests(ctx: CheckContext) -> list[tuple[str, SpecPath, str, int]]:
    """(model, path, what, count) for each model's first non-zero GPU request."""
    found: list[tuple[str, SpecPath, str, int]] = []
    for m, model in enumerate(ctx.spec.models):
        for what in ("training", "serving"):
            count = int(getattr(model.gpu, what))
            if count > 0:
                found.append((model.name, ("models", m, "gpu", what), what, count))
                break
    return found


def check_gpus(ctx: CheckContext) -> None:
    """E320/E321/E322/W323: GPU requests match the cloud and its GPU class."""
    infra = ctx.spec.infrastructure
    offered = GPU_CLASSES[infra.cloud]
    requests = _gpu_requests(ctx)
    for model, path, what, count in requests:
        if infra.cloud == "local":
            ctx.error(
                "E320",
                f"model {model!r} asks for {count} GPU(s) for {what}, "
                "but infrastructure.cloud is local",
                path,
                f"the local stack runs on CPU: remove `gpu:` from model {model!r}, "
                "or set `cloud: aws` or `cloud: gcp` with a region for GPU pools",
                fix=[delete_key(path[:-1])],
            )
        elif infra.gpu_class is None:
            ctx.error(
                "E321",
                f"model {model!r} asks for {count} GPU(s) for {what}, "
                "but infrastructure.gpu_class is not set",
                path,
                f"set `gpu_class:` under infrastructure to one of {listing(offered)} "
                f"(e.g. `gpu_class: {offered[0]}`, the smallest)",
                fix=[set_value(("infrastructure", "gpu_class"), offered[0])],
            )
    if infra.gpu_class is None:
        return
    path = ("infrastructure", "gpu_class")
    if infra.gpu_class not in offered:
        where = f"{infra.cloud} offers {listing(offered)}" if offered else "it has no GPU pools"
        ctx.error(
            "E322",
            f"gpu_class {infra.gpu_class!r} is not offered on cloud {infra.cloud!r}",
            path,
            f"{where}" + ("" if offered else "; set cloud aws or gcp, or remove gpu_class"),
        )  # which class replaces it is a choice of hardware and price: no mechanical fix
    elif not requests and not any(m.llm for m in ctx.spec.models):
        ctx.warn(
            "W323",
            f"gpu_class {infra.gpu_class!r} is set, but no model asks for a GPU",
            path,
            "remove gpu_class, or set `gpu: {serving: 1}` on the model that needs one",
            fix=[delete_key(path)],
        )


def check_availability(ctx: CheckContext) -> None:
    """E329: a target above one region's SLA; E324: one zone for 99.9 % or more."""
    availability = ctx.spec.slo.availability
    infra = ctx.spec.infrastructure
    ceiling = REGIONAL_SLA_PERCENT.get(infra.cloud)
    if ceiling is not None and availability > ceiling:
        at_ceiling = zones_needed(ceiling)
        single_zone = infra.zones is not None and infra.zones < at_ceiling
        where = infra.region or f"one {infra.cloud} region"
        fix: list[Edit] = [set_value(("slo", "availability"), ceiling)]
        zones_hint = ""
        if single_zone:
            fix.append(set_value(("infrastructure", "zones"), at_ceiling))
            zones_hint = f" with `zones: {at_ceiling}`"
        ctx.error(
            "E329",
            f"availability target {percent(availability)} % is more than one region can "
            "promise: the serving path runs in a single region",
            ("slo", "availability"),
            f"the most this design can reach in {where} is {percent(ceiling)} % (the "
            f"{infra.cloud} regional SLA); set slo.availability to {percent(ceiling)} or lower"
            f"{zones_hint}",
            fix=fix,
        )
        return
    if infra.zones != 1:
        return
    for floor, zones in ZONES_NEEDED:
        if availability >= floor:
            ctx.error(
                "E324",
                f"a single zone cannot reach {percent(availability)} % availability: "
                "losing the zone loses the service",
                ("infrastructure", "zones"),
                f"set `zones: {zones}` (or more) for {percent(floor)} %, or lower slo.availability",
                fix=[set_value(("infrastructure", "zones"), zones)],
            )
            return


def check_serving_mode(ctx: CheckContext) -> None:
    """E325: real-time serving has a latency objective and batch-only serving has none."""
    mode = ctx.spec.serving.mode
    latency = ctx.spec.slo.latency_p95_ms
    if mode == "batch" and latency is not None:
        ctx.error(
            "E325",
            f"serving mode is batch only, but slo.latency_p95_ms ({latency:g} ms) "
            "sets a real-time latency objective",
            ("slo", "latency_p95_ms"),
            "remove latency_p95_ms, or set serving `mode: both` to add a real-time API",
            fix=[delete_key(("slo", "latency_p95_ms"))],
        )
    elif mode != "batch" and latency is None:
        ctx.error(
            "E325",
            f"serving mode {mode} answers requests, but the slo has no latency_p95_ms",
            ("slo",),
            "add `latency_p95_ms:` to slo; it sizes replicas and batching",
            key=True,
        )


def check_region(ctx: CheckContext) -> None:
    """E327/W328: a cloud needs a region; the local stack ignores one."""
    infra = ctx.spec.infrastructure
    if infra.cloud != "local" and infra.region is None:
        example = "us-east-1" if infra.cloud == "aws" else "us-central1"
        ctx.error(
            "E327",
            f"cloud {infra.cloud} needs a region",
            ("infrastructure", "cloud"),
            f"add `region:` under infrastructure, e.g. `region: {example}`",
            fix=[set_value(("infrastructure", "region"), example)],
        )
    elif infra.cloud == "local" and infra.region is not None:
        ctx.warn(
            "W328",
            f"region {infra.region!r} is ignored: infrastructure.cloud is local",
            ("infrastructure", "region"),
            "remove region, or set `cloud: aws` or `cloud: gcp`",
            fix=[delete_key(("infrastructure", "region"))],
        )
