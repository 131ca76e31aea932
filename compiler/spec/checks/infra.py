"""Checks that requirements and infrastructure do not contradict each other.

These are combinations each valid on its own that no stack can satisfy together: a GPU on
the CPU-only local stack, a GPU class the chosen cloud does not rent, a 99.99 % SLO in one
zone, a real-time latency objective for a batch-only service.
"""

from __future__ import annotations

from mlopsgen.spec.availability import ZONES_NEEDED
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
                "the local stack runs on CPU; set `cloud: aws` or `cloud: gcp` for GPU pools, "
                "or `gpu: 0`",
            )
        elif infra.gpu_class is None:
            ctx.error(
                "E321",
                f"model {model!r} asks for {count} GPU(s) for {what}, "
                "but infrastructure.gpu_class is not set",
                path,
                f"set `gpu_class:` under infrastructure to one of {listing(offered)}",
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
        )
    elif not requests:
        ctx.warn(
            "W323",
            f"gpu_class {infra.gpu_class!r} is set, but no model asks for a GPU",
            path,
            "remove gpu_class, or set `gpu: {serving: 1}` on the model that needs one",
        )


def check_availability(ctx: CheckContext) -> None:
    """E324: one zone cannot carry an availability SLO of 99.9 % or more."""
    availability = ctx.spec.slo.availability
    if ctx.spec.infrastructure.zones != 1:
        return
    for floor, zones in ZONES_NEEDED:
        if availability >= floor:
            ctx.error(
                "E324",
                f"a single zone cannot reach {availability:g} % availability: "
                "losing the zone loses the service",
                ("infrastructure", "zones"),
                f"set `zones: {zones}` (or more) for {floor:g} %, or lower slo.availability",
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
        )
    elif infra.cloud == "local" and infra.region is not None:
        ctx.warn(
            "W328",
            f"region {infra.region!r} is ignored: infrastructure.cloud is local",
            ("infrastructure", "region"),
            "remove region, or set `cloud: aws` or `cloud: gcp`",
        )
