"""What the BentoML target reads off the Plan: service names, the request schema, the
bentofile and the README section.

The service modules read ``plan.json`` at run time; only names (made valid identifiers here)
and the request schema's field names, bounds and category values reach generated Python, the
latter through the ``py`` filter in the template. The bentofile is data, dumped as YAML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mlopsgen.plan.ir.data import FieldPlan
from mlopsgen.plan.ir.root import Plan
from mlopsgen.plan.names import PythonClassName, PythonIdentifier
from mlopsgen.render.filters_markup import markdown_code
from mlopsgen.targets.bentoml.names import BentoName
from mlopsgen.targets.core.views import requirements as stack_requirements
from mlopsgen.targets.feast.target import FEAST_REQUIREMENTS, TABLE_REQUIREMENTS
from mlopsgen.targets.feast.views import ident
from mlopsgen.targets.literals import FILTERS as PYTHON_FILTERS
from mlopsgen.targets.naming import NameTable
from mlopsgen.targets.zenml.views import requirements as pipeline_requirements

__all__ = [
    "FILTERS",
    "README_HEADING",
    "REQUIREMENTS",
    "SchemaField",
    "ServiceNames",
    "bentofile",
    "readme_section",
    "schema_fields",
    "service_names",
]

README_HEADING = "Model service"
#: What the services import beyond the pipelines' own packages (BentoML pulls in
#: prometheus-client, pydantic and cloudpickle, which the stack lock pins).
REQUIREMENTS = frozenset({"bentoml==1.4.39"})
#: Packages a Bento leaves out: ZenML runs training, never the request path.
NOT_SERVED = ("zenml",)
#: Except its client, in the image of a stack that rolls out step by step: the cluster's
#: rollout CronJob runs from the service's image and promotes or archives the candidate in
#: the Model Control Plane (a ZenML server, so without the ``local`` extra).
ZENML_CLIENT = re.compile(r"zenml(?:\[[^\]]*\])?(==.*)")

#: Python type of each request-field type (categories become a ``Literal`` of their values).
FIELD_TYPES = {
    "string": "str",
    "text": "str",
    "integer": "int",
    "float": "float",
    "bool": "bool",
    "timestamp": "datetime",
    "image": "str",
    "embedding": "list[float]",
    "category": "str",
}


def python_type(name: object) -> str:
    """A request field's Python type, refused unless it is one of :data:`FIELD_TYPES`' (a
    filter for templates: the type is source text, so only the fixed table may reach it).

    Raises:
        ValueError: ``name`` is not a type of the table.
    """
    if not isinstance(name, str) or name not in FIELD_TYPES.values():
        raise ValueError(f"{name!r} is not a request field type")
    return name


#: Template filters of the service package: Python literals, identifiers and field types.
FILTERS: dict[str, Callable[..., str]] = {
    **PYTHON_FILTERS,
    "ident": ident,
    "py_type": python_type,
}

#: Attribute names a pydantic model cannot take as fields (its own methods and settings).
_MODEL_RESERVED = frozenset(
    {"construct", "copy", "dict", "json", "schema", "schema_json", "validate", "fields"}
    | {f"model_{name}" for name in ("config", "fields", "computed_fields", "extra")}
    | {f"model_{name}" for name in ("fields_set", "construct", "copy", "dump", "dump_json")}
    | {f"model_{name}" for name in ("json_schema", "parametrized_name", "post_init")}
    | {f"model_{name}" for name in ("rebuild", "validate", "validate_json")}
    | {"model_validate_strings"}
)


@dataclass(frozen=True)
class ServiceNames:
    """The names one service goes by.

    Attributes:
        package: the Python package under ``services/`` (``fraud_detection``).
        class_name: the BentoML service class (``FraudDetection``).
        bento: the Bento and BentoML service name (``fraud-detection``).
    """

    package: str
    class_name: str
    bento: str

    @property
    def import_path(self) -> str:
        """What ``bentoml serve`` and the bentofile name: ``services.<pkg>.service:<Class>``."""
        return f"services.{self.package}.service:{self.class_name}"


def service_names(plan: Plan) -> ServiceNames:
    """The package, class and Bento names of the plan's service."""
    name = plan.serving.service_name
    return ServiceNames(
        package=str(PythonIdentifier.from_text(name)),
        class_name=str(PythonClassName.from_text(name)),
        bento=str(BentoName.from_text(name)),
    )


@dataclass(frozen=True)
class SchemaField:
    """One request field as the schema template places it.

    Attributes:
        attr: the model attribute (a valid, unique identifier; JSON keeps ``name``).
        name: the field's name in requests (rendered through ``py``).
        base: the Python type when there are no category values.
        values: the category values, rendered through ``py``.
        nullable: whether ``null`` is accepted.
        bounds: pydantic ``Field`` constraints, as (keyword, value) pairs.
        image: an image field's (height, width, channels), a size the plan leaves out as
            ``None``; ``None`` for other fields. The schema checks the payload's array.
        description: what the field's JSON schema says (rendered through ``py``).
    """

    attr: str
    name: str
    base: str
    values: tuple[str, ...]
    nullable: bool
    bounds: tuple[tuple[str, float | int], ...]
    image: tuple[int | None, int | None, int | None] | None = None
    description: str | None = None


def _bounds(field: FieldPlan) -> tuple[tuple[str, float | int], ...]:
    out: list[tuple[str, float | int]] = []
    if field.type in ("integer", "float"):
        if field.min is not None:
            out.append(("ge", int(field.min) if field.type == "integer" else field.min))
        if field.max is not None:
            out.append(("le", int(field.max) if field.type == "integer" else field.max))
    elif field.type in ("string", "text", "image"):
        out.append(("min_length", 1))
    elif field.type == "embedding" and field.dim is not None:
        out += [("min_length", field.dim), ("max_length", field.dim)]
    return tuple(out)


#: How a request carries an image (``services.images`` decodes and checks it).
IMAGE_ENCODING = "base64 (ASCII) of NumPy .npy bytes (numpy.save) of a uint8 array"


def _image(field: FieldPlan) -> tuple[int | None, int | None, int | None] | None:
    return (field.height, field.width, field.channels) if field.type == "image" else None


def _size(field: FieldPlan) -> str:
    """An image field's declared size, ``224 x 224 x 3`` (``any`` where the plan has none)."""
    return " x ".join("any" if n is None else str(n) for n in _image(field) or ())


def _description(field: FieldPlan) -> str | None:
    """The spec's description; an image field's also says how it is encoded and its size."""
    if field.type != "image":
        return field.description
    encoding = f"{IMAGE_ENCODING}, height x width x channels = {_size(field)}"
    return f"{field.description} ({encoding})" if field.description else encoding


def schema_fields(plan: Plan) -> list[SchemaField]:
    """The request row's fields, in plan order, with attribute names that cannot clash."""
    table = NameTable(PythonIdentifier, "request field", reserved=_MODEL_RESERVED)
    return [
        SchemaField(
            attr=str(table.claim(field.name)),
            name=field.name,
            base=FIELD_TYPES[field.type],
            values=tuple(field.values or ()) if field.type == "category" else (),
            nullable=field.nullable,
            bounds=_bounds(field),
            image=_image(field),
            description=_description(field),
        )
        for field in plan.serving.request_fields
    ]


def exported_models(plan: Plan) -> list[str]:
    """The BentoML model tags the service loads: its trainable models and the routing
    fallback (served when a row's key has no shard), lower-cased."""
    trainable = {m.name for m in plan.models if m.trainable}
    routing = plan.serving.routing
    fallback = [routing.fallback] if routing is not None and routing.fallback else []
    served = list(dict.fromkeys([*plan.serving.models, *fallback]))
    return [f"{name.lower()}:latest" for name in served if name in trainable]


def bentofile(plan: Plan) -> dict[str, object]:
    """``bentofile.yaml`` of the service: what ``bentoml build`` packs from the stack root."""
    names = service_names(plan)
    tables = FEAST_REQUIREMENTS if plan.features.views else TABLE_REQUIREMENTS
    pins = set(stack_requirements(plan)) | pipeline_requirements(plan) | tables | REQUIREMENTS
    packages = [pin for pin in sorted(pins) if not pin.startswith(NOT_SERVED)]
    if plan.serving.realtime and plan.training.rollout.strategy != "all_at_once":
        clients = [f"zenml{m.group(1)}" for pin in pins if (m := ZENML_CLIENT.fullmatch(pin))]
        packages = sorted({*packages, *clients})
    return {
        "service": names.import_path,
        "labels": {"generator": "mlopsgen", "spec_sha256": plan.system.spec_sha256},
        "include": ["services/**/*.py", "pipelines/**/*.py", "plan.json", "features/**"],
        "exclude": ["**/__pycache__", "data/**"],
        "python": {"packages": packages, "lock_packages": False},
        "models": exported_models(plan),
    }


def _request_notes(plan: Plan) -> list[str]:
    """What the README says about image fields, forecasts, batches and GPUs, where they apply."""
    notes: list[str] = []
    for field in plan.serving.request_fields:
        if field.type == "image":
            notes.append(
                f"{markdown_code(field.name)} is {IMAGE_ENCODING} of {_size(field)} "
                "(height x width x channels); the stack has no image codec, so PNG or JPEG "
                "bytes are refused."
            )
    served = set(plan.serving.models)
    for model in plan.models:
        if model.name in served and model.task == "forecasting":
            notes.append(
                f"{markdown_code(model.name)} answers a row with its series' next "
                f"{model.horizon_days or 1} days after the history it was fitted on (a list of "
                "`day`, `forecast`; `null` for a series it never saw)."
            )
    if plan.serving.batch is not None:
        notes.append(
            "`POST /predict_batch` takes the same body and scores a long list in one call."
        )
    gpus = plan.serving.replica.gpu
    if gpus:
        notes.append(
            f"Each replica asks for {gpus} {'GPU' if gpus == 1 else 'GPUs'} (BentoML "
            "`resources`, kept in the Bento for the cluster); a local serve on a machine "
            "without one still starts (BentoML does not check that the GPU exists)."
        )
    return [line for note in notes for line in ("", note)]


def readme_section(plan: Plan) -> str:
    """How to export the models, serve, call and build the service."""
    names = service_names(plan)
    fields = ", ".join(markdown_code(f.name) for f in plan.serving.request_fields)
    lines = [
        "After training, copy each served model's production version from ZenML's Model "
        "Control Plane into the BentoML model store (exit code 3 names a model that has "
        "none), then serve from the stack root:",
        "",
        "```sh",
        "python -m services.export",
        f"bentoml serve {names.import_path} --host 127.0.0.1 --port 3000",
        "```",
        "",
        "`MLOPSGEN_SERVICE_WORKERS` and `MLOPSGEN_SERVICE_TIMEOUT_S` override the plan's "
        f"workers ({plan.serving.replica.workers}) and timeout "
        f"({plan.serving.replica.timeout_ms:g} ms) for a local run. Call it with a list of "
        f"rows holding {fields or 'no fields'}:",
        "",
        "```sh",
        "curl -s -X POST http://127.0.0.1:3000/predict -H 'content-type: application/json' \\",
        "  -d '{\"rows\": [{...}]}'",
        "```",
        "",
        "Each answer has `prediction` and, where the plan has them, `decision` and "
        "`rules_fired`; a bad field is a 400 naming it. `/livez`, `/readyz` and `/metrics` "
        "(Prometheus, `mlopsgen_*` series) are served too.",
        *_request_notes(plan),
        "",
        "Build a Bento from the stack root (keep `BENTOML_HOME` outside the stack):",
        "",
        "```sh",
        f"bentoml build -f services/{names.package}/bentofile.yaml .",
        "```",
    ]
    return "\n".join(lines) + "\n"
