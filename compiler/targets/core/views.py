"""Presentation data for the stack's README, Makefile and pyproject, read off the Plan.

Templates stay free of decisions: anything that needs a loop with conditions, number
formatting or a choice between phrasings is prepared here as plain rows and strings, and the
templates only place them. Nothing here decides a number; every figure comes from the Plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen.plan.ir.root import DecisionRecord, Plan
from mlopsgen.plan.ir.serving import StagePlan
from mlopsgen.plan.report import format_value
from mlopsgen.wording import count

FILE_PURPOSES = {
    "README.md": "this page: what was generated and why, how to run and deploy it",
    "plan.json": "the resolved plan: every decision with its formula, inputs and spec source",
    ".gitignore": "what running the stack writes into it (.venv, .zenml, .mlopsgen, data/)",
    "pyproject.toml": "the stack's Python project and pinned dependencies",
    "Makefile": "the stack's commands: install, train, export-models, serve, loadtest, bento, "
    "plan, check, clean",
    "constraints.txt": "exact versions of every package the pinned requirements install (the "
    "stack lock): make install and mlopsgen run install these",
}

#: The Python versions a generated stack declares. Bounded above, because every pin below must
#: install on each minor in the range: the test suite resolves each reference stack's pins
#: against the package index for every one of them.
REQUIRES_PYTHON = ">=3.11,<3.13"

#: Pinned versions of what generated stacks install, per framework they use. These are the
#: releases the functional tests run against; a stack lists only what its models need. The
#: core target asks for them today; each moves to the target that generates the code using it
#: (training pipelines, services, feature store) and the registry merges them.
#: ``xgboost-cpu`` is the same library without the CUDA build (xgboost 3.3 and later need
#: Python 3.12, and xgboost 3.2 pulls a 470 MB NCCL package that CPU serving never loads).
FRAMEWORK_REQUIREMENTS = {
    "sklearn": ("scikit-learn==1.9.1",),
    "xgboost": ("xgboost-cpu==3.2.0",),
    "lightgbm": ("lightgbm==4.7.0",),
    "pytorch": ("torch==2.13.0",),
    "statsforecast": ("statsforecast==2.1.1",),
    "langdetect": ("langdetect==1.0.9",),
    # A language model: the CPU engine and LoRA fine-tuning (vLLM ships in its own image).
    "transformers": (
        "peft==0.21.2",
        "safetensors==0.8.0",
        "tokenizers==0.23.3",
        "torch==2.13.0",
        "transformers==5.24.0",
    ),
}
BASE_REQUIREMENTS = ("bentoml==1.4.39", "pyarrow==26.0.1", "zenml[local]==0.98.0")
FEATURE_STORE_REQUIREMENTS = ("feast==0.67.0",)


@dataclass(frozen=True)
class Node:
    """A Mermaid node: an identifier (generated, safe) and a label (escaped by the template)."""

    id: str
    label: str


@dataclass(frozen=True)
class Edge:
    """A Mermaid edge between two node identifiers, with an optional label."""

    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class Diagram:
    """Nodes and edges of the architecture flowchart."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def decision_rows(plan: Plan) -> list[dict[str, str]]:
    """One row per decision: name, value with unit, computed formula, spec sources."""
    return [_row(d) for d in plan.decisions]


def _row(decision: DecisionRecord) -> dict[str, str]:
    return {
        "name": decision.name,
        "value": format_value(decision.value, decision.unit),
        "computed": "; ".join(decision.computed.splitlines()),
        "sources": ", ".join(decision.sources) or "default",
    }


def key_figures(plan: Plan) -> list[dict[str, str]]:
    """The handful of numbers an on-call engineer asks for first."""
    availability = plan.availability
    rows = [
        ("availability target", f"{availability.target_percent:g} % over 30 days"),
        ("error budget", f"{availability.error_budget_minutes:g} min per 30 days"),
        ("zones", f"{availability.zones}"),
    ]
    serving = plan.serving
    if serving.latency_p95_ms is not None:
        rows.append(("latency SLO", f"p95 < {serving.latency_p95_ms:g} ms"))
    if serving.capacity is not None:
        capacity = serving.capacity
        rows.append(("peak load", f"{capacity.peak_rps:,.0f} requests/s"))
        rows.append(("replicas", f"{capacity.replicas} ({capacity.replicas_per_zone} per zone)"))
    if serving.hpa is not None:
        rows.append(("autoscaling", f"{serving.hpa.min_replicas}-{serving.hpa.max_replicas}"))
    if serving.batching.enabled and serving.batching.max_batch_size is not None:
        window = serving.batching.max_latency_ms
        rows.append(
            ("adaptive batching", f"up to {serving.batching.max_batch_size} within {window:g} ms")
        )
    rows.append(("retraining", f"{plan.training.cadence}, cron {plan.training.cron}"))
    rows.extend(
        (
            f"experiment {e.name}",
            f"{count(e.duration_days, 'days')}, {e.sample_size_per_arm:,} per arm",
        )
        for e in serving.experiments
    )
    rows.append(("monthly cost", cost_summary(plan)))
    return [{"label": label, "value": value} for label, value in rows]


def _language_diagram(plan: Plan) -> Diagram:
    """A language stack: the engine behind the server, fine-tuning from the source's chats
    on a base model, the merged release deployed, and the engine's metrics watched."""
    nodes = [Node("client", "client"), Node("lb", "load balancer")]
    edges = [Edge("client", "lb", "request")]
    nodes.append(Node("server", "server (OpenAI API)"))
    edges.append(Edge("lb", "server"))
    for index, model in enumerate(plan.language_models):
        llm = model.llm
        assert llm is not None
        engine = f"engine{index}"
        nodes.append(
            Node(engine, f"{model.name}: {llm.engine}, {llm.tensor_parallel} x {llm.gpu_class}")
        )
        edges.append(Edge("server", engine, "tokens"))
        edges.append(Edge(engine, "monitoring", "metrics"))
    nodes.append(Node("base", "base model"))
    nodes.append(Node("training", f"fine-tuning pipelines ({plan.training.cadence})"))
    nodes.append(Node("registry", "model registry"))
    nodes.append(Node("monitoring", "monitoring: token latencies, alerts"))
    edges.extend(
        [
            Edge("base", "training", "weights"),
            Edge("training", "registry", "gated promotion"),
            Edge("registry", "server", "merged release"),
        ]
    )
    for index, source in enumerate(plan.data.sources):
        node_id = f"source{index}"
        nodes.append(Node(node_id, f"{source.name} ({source.kind})"))
        edges.append(Edge(node_id, "training", "chats"))
    return Diagram(tuple(nodes), tuple(edges))


def diagram(plan: Plan) -> Diagram:
    """Request path, feature store, training and monitoring as a Mermaid flowchart."""
    if plan.language_models:
        return _language_diagram(plan)
    nodes = [Node("client", "client"), Node("lb", "load balancer")]
    edges = [Edge("client", "lb", "request")]
    previous = ["lb"]
    for step in _request_steps(plan):
        for index, stage in step:
            nodes.append(Node(f"stage{index}", f"{stage.name} ({stage.kind})"))
        edges.extend(Edge(p, f"stage{i}") for p in previous for i, _ in step)
        previous = [f"stage{index}" for index, _ in step]
    online = plan.features.online_store
    nodes.append(Node("online", f"online store: {online.kind}"))
    nodes.append(Node("offline", f"offline store: {plan.features.offline_store}"))
    nodes.append(Node("training", f"training pipelines ({plan.training.cadence})"))
    nodes.append(Node("registry", "model registry"))
    nodes.append(Node("monitoring", f"monitoring: {plan.monitoring.drift.method} drift, alerts"))
    first_stage = "stage0" if plan.serving.stages else "lb"
    edges.extend(
        [
            Edge(first_stage, "online", "features"),
            Edge("offline", "online", "materialise"),
            Edge("offline", "training", "history"),
            Edge("training", "registry", "gated promotion"),
            Edge("registry", first_stage, "deploy"),
            *(Edge(last, "monitoring", "metrics") for last in previous),
            Edge("monitoring", "training", "drift trigger"),
        ]
    )
    for index, source in enumerate(plan.data.sources):
        node_id = f"source{index}"
        nodes.append(Node(node_id, f"{source.name} ({source.kind})"))
        edges.append(Edge(node_id, "offline"))
    return Diagram(tuple(nodes), tuple(edges))


def _request_steps(plan: Plan) -> list[list[tuple[int, StagePlan]]]:
    """The request path as steps in order; the stages of one step run side by side.

    The models the decision engine combines (ensemble members and the anomaly model) all
    score the same request, so they form one step, placed where the first of them is: the
    diagram fans out to them and back in, instead of drawing them as a chain. Every other
    stage is a step of its own.
    """
    decision = plan.serving.decision
    combined = set(decision.ensemble) if decision is not None else set()
    if decision is not None and decision.anomaly_model is not None:
        combined.add(decision.anomaly_model)
    steps: list[list[tuple[int, StagePlan]]] = []
    group: list[tuple[int, StagePlan]] | None = None
    for index, stage in enumerate(plan.serving.stages):
        if stage.kind != "model" or stage.name.removeprefix("model:") not in combined:
            steps.append([(index, stage)])
        elif group is None:
            group = [(index, stage)]
            steps.append(group)
        else:
            group.append((index, stage))
    return steps


def local_profile(plan: Plan) -> str:
    """What the plan's local profile runs on, and how it differs from the cloud profile."""
    if plan.language_models:
        return (
            "ZenML's local default stack (SQLite metadata, local artifact store) fine-tuning a "
            "tiny seeded stand-in for the base model on the CPU, and BentoML on localhost "
            "serving it through the transformers engine; the planned GPUs and vLLM are the "
            "cluster's"
        )
    gpu = any(m.gpu_serving or m.gpu_training for m in plan.models)
    cpu_note = "; models planned for GPUs run on the CPU" if gpu else ""
    return (
        "ZenML's local default stack (SQLite metadata, local artifact store), "
        f"BentoML on localhost and a SQLite online store{cpu_note}"
    )


def deploy_summary(plan: Plan) -> str:
    """One paragraph on the cluster the plan sizes."""
    infra = plan.infrastructure
    if infra.cloud == "local":
        return "This spec targets the local profile only: there is no cloud deployment."
    zones = ", ".join(infra.zones)
    kubernetes = "EKS" if infra.cloud == "aws" else "GKE"
    return (
        f"{kubernetes} {infra.kubernetes_version} in {infra.region} over {len(infra.zones)} "
        f"zones ({zones}); the node pools below are sized by the plan."
    )


def cost_summary(plan: Plan) -> str:
    """Expected monthly estimate, its floor and peak, the prices used, against the budget."""
    cost = plan.cost
    where = f"{cost.price_region} " if cost.price_region else ""
    factor = f" \N{MULTIPLICATION SIGN} {cost.region_factor:g}" if cost.region_factor != 1 else ""
    text = f"${cost.total_usd_month:,.0f} per month expected"
    if cost.serving is not None:
        text += f" (floor ${cost.floor_usd_month:,.0f}, peak ${cost.peak_usd_month:,.0f})"
    text += f", {where}list prices{factor} of {cost.price_table_date}"
    if cost.budget_usd_month is not None:
        verdict = "over" if cost.over_budget else "within"
        text += f", {verdict} the ${cost.budget_usd_month:,.0f} budget"
        if cost.over_budget_at_peak and not cost.over_budget:
            text += " (a month at peak would exceed it)"
    return text


def requirements(plan: Plan) -> list[str]:
    """Pinned requirements of the stack: the base set plus each framework's packages."""
    pins = set(BASE_REQUIREMENTS)
    for model in plan.models:
        pins.update(FRAMEWORK_REQUIREMENTS[model.framework])
    if plan.features.views:
        pins.update(FEATURE_STORE_REQUIREMENTS)
    return sorted(pins)


def install_note(plan: Plan, locked: int | None = None) -> str:
    """What ``make install`` installs and why: the runtimes, pinned to the stack lock.

    The pinned runtimes are over a gigabyte; a user who runs ``make install`` should learn
    what it is for and that the versions are exact, not wonder at a download.

    Args:
        plan: the plan being rendered.
        locked: how many packages ``constraints.txt`` pins, when known (the README says it;
            the Makefile counts the file when it runs).
    """
    uses = ["ZenML for the training pipelines", "BentoML for the model services"]
    if plan.features.views:
        uses.append("Feast for the feature store")
    frameworks = sorted(
        {pin.split("==")[0] for m in plan.models for pin in FRAMEWORK_REQUIREMENTS[m.framework]}
    )
    if frameworks:
        uses.append(f"the models' frameworks ({', '.join(frameworks)})")
    listed = f"{', '.join(uses[:-1])}, and {uses[-1]}"
    how_many = f"all {locked} packages" if locked is not None else "every package"
    return (
        "make install sets up .venv with the runtimes this stack's pipelines and services run "
        f"on: {listed}; {how_many} at the exact versions in constraints.txt."
    )
