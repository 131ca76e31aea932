"""``build_plan``: a validated spec in, a frozen Plan and its planning diagnostics out.

The builder only orders the concerns: zones first (capacity spreads over them), then models
(their calibration feeds the request path), training, serving (which sizes the cache), the
feature store (which holds the cache), availability (which composes the planned replicas),
compute, cost and monitoring. Findings about the spec become diagnostics (W5xx, E5xx);
nothing is printed and nothing raises for a spec that loaded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mlopsgen import __version__
from mlopsgen.diagnostics import Diagnostic, has_errors, sorted_diagnostics
from mlopsgen.plan import calibration, capacity, cloud, compute, cost, data, instances
from mlopsgen.plan.availability import (
    composed_percent,
    plan_availability,
    plan_zones,
    zone_candidates,
)
from mlopsgen.plan.features import StoreDemand, plan_features
from mlopsgen.plan.ir.data import FeaturesPlan, ModelPlan, SystemPlan, TrainingPlan
from mlopsgen.plan.ir.llm import LlmPlan
from mlopsgen.plan.ir.ops import (
    BusinessMetricPlan,
    BusinessPlan,
    ComputePlan,
    CostPlan,
    GuardrailPlan,
    InfrastructurePlan,
    NodePool,
)
from mlopsgen.plan.ir.root import PLAN_VERSION, Plan
from mlopsgen.plan.ir.serving import BatchJobPlan, ServingPlan
from mlopsgen.plan.llm.planner import plan_language_models
from mlopsgen.plan.model_plans import plan_models
from mlopsgen.plan.monitoring import plan_monitoring
from mlopsgen.plan.names import K8sName, PythonIdentifier
from mlopsgen.plan.record import Recorder
from mlopsgen.plan.serving import ServingResult, plan_serving
from mlopsgen.plan.serving_path import online_views
from mlopsgen.plan.training import plan_training, record_runs
from mlopsgen.plan.training_size import with_training_resources
from mlopsgen.spec.loader import LoadedSpec
from mlopsgen.spec.models.root import Spec

_INFRA = ("infrastructure",)


@dataclass(frozen=True)
class PlanResult:
    """The plan and every planning diagnostic (sorted by position in the spec)."""

    plan: Plan
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        """Whether the plan can be rendered: no planning errors."""
        return not has_errors(self.diagnostics)


def _gpu_class(spec: Spec, rec: Recorder, llm_plans: dict[str, LlmPlan]) -> str | None:
    """The GPU class: a served language model's chosen class, the spec's, T4 when models
    need GPUs and none is named, or None."""
    served = [llm_plans[name] for name in spec.serving.models if name in llm_plans]
    if served:
        return served[0].gpu_class
    wanted = spec.infrastructure.gpu_class
    needs = any(m.gpu.training or m.gpu.serving for m in spec.models)
    if wanted is None and not needs:
        return None
    chosen = wanted or calibration.DEFAULT_GPU_CLASS
    provider = spec.infrastructure.cloud
    table = instances.GPU_INSTANCES
    if provider in table and chosen not in table[provider]:
        chosen = instances.gpu_class_for(provider, chosen)
        rec.warn(
            "W508",
            f"{provider} has no {wanted} nodes; the plan uses {chosen} instead",
            (*_INFRA, "gpu_class"),
            hint=f"set gpu_class to one of {', '.join(sorted(table[provider]))}",
        )
    return chosen


def _zones(spec: Spec, rec: Recorder, zones: int) -> tuple[str | None, tuple[str, ...]]:
    provider = spec.infrastructure.cloud
    region = spec.infrastructure.region or cloud.DEFAULT_REGION.get(provider)
    zone_list, available, known = cloud.zone_names(provider, region, zones)
    if provider == "local":
        return None, ()
    if zones > available:
        rec.fail(
            "E503",
            f"{zones} zones are needed but {region} has {available}",
            (*_INFRA, "region"),
            hint="choose a region with more zones, or lower the availability target",
        )
    rec.add(
        "infrastructure.zones",
        zone_list,
        formula="first `zones` zones of the region",
        computed=f"{region}: {', '.join(zone_list)}",
        inputs={"region": region, "zones": zones, "region_zones": available},
        sources=[(*_INFRA, "region"), ("slo", "availability")],
        reason="zones named in the plan so network, node pools and spread constraints agree"
        + ("" if known else "; region not in the table, three zones a-c assumed"),
    )
    return region, zone_list


def _pools(
    spec: Spec,
    rec: Recorder,
    served: ServingPlan,
    models: tuple[ModelPlan, ...],
    training: TrainingPlan,
    gpu_class: str | None,
    zones: int,
) -> tuple[list[NodePool], TrainingPlan, BatchJobPlan | None]:
    """Serving and training pools of a cloud cluster (none for the local profile), and the
    training jobs and the batch job as placed on their pool's nodes."""
    provider = spec.infrastructure.cloud
    if provider == "local":
        return [], training, served.batch
    pools = []
    if served.realtime and served.capacity is not None and served.hpa is not None:
        load = compute.ServingLoad(zones, served.capacity, served.hpa, served.replica)
        pool = compute.serving_pool(rec, provider, gpu_class, load)
        pools += [pool] if pool is not None else []
    # a language model fine-tunes on its own class, which may differ from the serving one
    tuning = [m.llm.fine_tuning_gpu_class for m in models if m.llm and m.llm.fine_tuning_gpu_class]
    placed = compute.training_pools(
        rec, provider, tuning[0] if tuning else gpu_class, models, training,
        (served.batch, served.replica),
    )  # fmt: skip
    return pools + placed.pools, dataclasses.replace(training, models=placed.jobs), placed.batch


def _cost(
    spec: Spec,
    rec: Recorder,
    zones: int,
    pools: tuple[NodePool, ...],
    features: FeaturesPlan,
    models: tuple[ModelPlan, ...],
    training: TrainingPlan,
    served: ServingPlan,
) -> CostPlan:
    return cost.plan_cost(
        spec,
        rec,
        cost.CostInputs(
            zones=zones,
            pools=pools,
            online_store=features.online_store,
            models=models,
            training=training.models,
            batch=served.batch,
            replica=served.replica,
            average_rps=served.capacity.average_rps if served.capacity else 0.0,
            request_bytes=data.request_bytes(spec),
            stored_gb=data.stored_gb(spec),
        ),
    )


@dataclass(frozen=True)
class _Design:
    """What depends on the zone count: serving, the feature store, pools and cost."""

    serving: ServingResult
    features: FeaturesPlan
    compute: ComputePlan
    cost: CostPlan
    training: TrainingPlan
    """The training jobs as placed on the training pool's node type."""


def _design(
    spec: Spec,
    rec: Recorder,
    zones: int,
    models: tuple[ModelPlan, ...],
    training: TrainingPlan,
    gpu_class: str | None,
) -> _Design:
    serving = plan_serving(spec, rec, models, zones, gpu_class)
    served = serving.plan
    cap = served.capacity
    demand = StoreDemand(
        views_read=tuple(online_views(spec, models)) if serving.store_on_path else (),
        peak_rps=cap.peak_rps if cap else 0.0,
        average_rps=cap.average_rps if cap else 0.0,
        cache_hit=cap.cache_hit_ratio if cap else 0.0,
        cache_bytes=serving.cache_bytes,
    )
    features = plan_features(spec, rec, zones, demand)
    pools, placed, batch = _pools(spec, rec, served, models, training, gpu_class, zones)
    if batch is not served.batch:
        served = dataclasses.replace(served, batch=batch)
        serving = dataclasses.replace(serving, plan=served)
    compute_plan = compute.plan_compute(rec, spec.infrastructure.cloud, zones, pools)
    cost_plan = _cost(spec, rec, zones, compute_plan.pools, features, models, placed, served)
    return _Design(serving, features, compute_plan, cost_plan, placed)


def _zone_designs(
    loaded: LoadedSpec,
    models: tuple[ModelPlan, ...],
    training: TrainingPlan,
    gpu_class: str | None,
) -> dict[int, tuple[_Design, Recorder]]:
    """The whole design for each zone count the plan may choose, each on its own recorder.

    The chosen one's recorder is merged into the plan's, so no design is planned twice.
    """
    spec = loaded.spec
    provider = spec.infrastructure.cloud
    region = spec.infrastructure.region or cloud.DEFAULT_REGION.get(provider)
    _, available, _ = cloud.zone_names(provider, region, 0)
    designs = {}
    for zones in zone_candidates(spec, available):
        scratch = Recorder(loaded.source_map)
        designs[zones] = (_design(spec, scratch, zones, models, training, gpu_class), scratch)
    return designs


def _design_option(spec: Spec, zones: int, design: _Design) -> tuple[int, float, float]:
    """A zone design's peak replicas, expected monthly cost and composed availability."""
    cap = design.serving.plan.capacity
    per_zone = cap.replicas_per_zone if cap else 1
    store = design.features.online_store if design.serving.store_on_path else None
    composed = composed_percent(spec, zones, per_zone, store)
    return (cap.replicas if cap else 0, design.cost.total_usd_month, composed)


def build_plan(loaded: LoadedSpec) -> PlanResult:
    """Plan the stack of a validated spec: every decision made, explained and located."""
    spec = loaded.spec
    rec = Recorder(loaded.source_map)
    provider = spec.infrastructure.cloud
    llm_plans = plan_language_models(spec, rec, capacity.throughput(spec)[0])
    gpu_class = _gpu_class(spec, rec, llm_plans)
    models = plan_models(spec, rec, gpu_class, llm_plans)
    training = plan_training(spec, rec, models, gpu_class)
    sized = with_training_resources(models, training.models)
    designs = _zone_designs(loaded, sized, training, gpu_class)
    options = {z: _design_option(spec, z, design) for z, (design, _) in designs.items()}
    zones = plan_zones(spec, rec, options)
    region, zone_list = _zones(spec, rec, zones)
    design, chosen = designs[zones]
    rec.absorb(chosen)
    training = design.training
    models = with_training_resources(models, training.models)
    record_runs(spec, rec, models, training)
    served, features = design.serving.plan, design.features
    per_zone = served.capacity.replicas_per_zone if served.capacity else 1
    store = features.online_store if design.serving.store_on_path else None
    availability = plan_availability(spec, rec, zones, per_zone, store)
    gpu_node = next((p.instance_type for p in design.compute.pools if p.gpus), None)
    plan = Plan(
        plan_version=PLAN_VERSION,
        generator_version=__version__,
        system=_system(loaded),
        business=_business(spec, models),
        data=data.plan_data(spec),
        features=features,
        models=models,
        training=training,
        serving=served,
        availability=availability,
        compute=design.compute,
        monitoring=plan_monitoring(
            spec,
            rec,
            served.realtime,
            served.capacity.average_rps if served.capacity else 0.0,
            training,
        ),
        cost=design.cost,
        infrastructure=InfrastructurePlan(
            cloud=provider,
            region=region,
            zones=zone_list,
            kubernetes_version=spec.infrastructure.kubernetes_version,
            gpu_class=gpu_class,
            gpu_instance_type=gpu_node,
        ),
        decisions=rec.sorted_decisions(),
    )
    return PlanResult(plan=plan, diagnostics=sorted_diagnostics(rec.diagnostics))


def _system(loaded: LoadedSpec) -> SystemPlan:
    system = loaded.spec.system
    return SystemPlan(
        name=system.name,
        description=system.description,
        owner=system.owner,
        spec_file=loaded.file,
        spec_sha256=loaded.sha256,
        spec_version=loaded.spec.spec_version,
        k8s_name=K8sName.from_text(system.name),
        python_name=PythonIdentifier.from_text(system.name),
    )


def _business(spec: Spec, models: tuple[ModelPlan, ...]) -> BusinessPlan:
    """Business metrics, and each guardrail with the models whose promotion it gates."""
    metrics = tuple(
        BusinessMetricPlan(
            name=m.name, direction=m.direction, unit=m.unit, description=m.description
        )
        for m in spec.business.metrics
    )
    guardrails = tuple(
        GuardrailPlan(
            metric=g.metric,
            min=g.min,
            max=g.max,
            gated_models=tuple(
                m.name
                for m in models
                if any(gate.metric == g.metric and "guardrail" in gate.origin for gate in m.gates)
            ),
        )
        for g in spec.business.guardrails
    )
    return BusinessPlan(metrics=metrics, guardrails=guardrails)
