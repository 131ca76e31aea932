"""Kubernetes resource quantities, written one way wherever a target emits a pod spec.

The ZenML cluster run configs and the serving manifests both turn the plan's CPU and memory
figures into quantities; one spelling keeps the two diffable and the consistency tests simple.
"""

from __future__ import annotations

__all__ = ["cpu_quantity", "memory_quantity"]


def cpu_quantity(cpu: float) -> str:
    """A CPU quantity: whole cores as ``"4"``, fractions in millicores (``"1500m"``)."""
    millis = round(cpu * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def memory_quantity(gib: float) -> str:
    """A memory quantity: whole GiB as ``"6Gi"``, fractions in MiB (``"1536Mi"``)."""
    mib = round(gib * 1024)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
