"""Cross-field consistency checks, all run and all reported together.

Shape validation proves each value is well-formed on its own; these checks prove the values
agree with each other: references resolve, numbers add up, and requirements do not
contradict the infrastructure. Every check runs even after another has failed, so one load
reports every problem, each at the value that causes it, with a hint.

Codes (``W`` marks warnings, which do not stop loading):

====== ==============================================================================
E301   a name is defined twice (sources, entities, views, features, models, ...)
E302   unknown source
E303   unknown entity
E304   unknown column (with did-you-mean), or a column not available where it is used
E305   a model input is not a column, ``view.feature`` or ``view.*`` of a defined view
E306   unknown model
E307   a column of the wrong type or role (event_time, aggregation, partition, unit)
E308   a model of the wrong kind for its role (detector, routing target, fallback,
       anomaly model, ensemble member not served)
E309   ensemble weights not positive or not summing to 1
E310   decision threshold outside (0, 1)
E311   metric unknown: not a business metric (experiments), nor one any model produces
E312   metric not produced by the model's task (gates, quality monitors, triggers)
E313   experiment split and variants name different variants
E314   experiment split does not sum to 100
E315   baseline_rate plus the minimum detectable effect reaches 1
E316   a supervised model names no target
E317   a model takes its own target as input (label leakage)
E318   a stream-computed view reads a source that is not a stream
E320   GPU requested on the local (CPU-only) stack
E321   GPU requested without infrastructure.gpu_class
E322   gpu_class not offered by the cloud
W323   gpu_class set but no model uses a GPU
E324   availability of 99.9 % or more in a single zone
E325   serving mode and latency SLO disagree
E326   continuous retraining without triggers
E327   cloud without a region
W328   region given for the local stack
E329   availability above what one region can promise (its regional SLA)
E330   minimum_detectable_effect is a bare number: it must say relative or absolute
E331   an experiment's baseline is neither a rate nor a mean with its standard deviation
E332   an experiment without daily_units whose unit no entity with a cardinality keys
E335   a language task without an llm block, or an llm block on another task
E336   an llm architecture without parameter_count, or a family that does not suit the task
E337   context_length shorter than a p95 request or longer than the model's context
E338   output_tokens missing for text generation, or given for an embedding model
E339   an llm serving GPU class the cloud does not offer or that disagrees with gpu_class
E340   a language model sharing the serving path, or a token rate without a generator
E401   decision rule does not parse
E402   decision rule reads an unknown field or feature
E403   decision rule types do not fit
E404   category literal in a rule is not among the column's values
====== ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable

from mlopsgen.diagnostics import Diagnostic
from mlopsgen.spec.checks.context import CheckContext
from mlopsgen.spec.checks.data import (
    check_duplicate_names,
    check_entities,
    check_sources,
    check_views,
)
from mlopsgen.spec.checks.experiments import (
    check_experiments,
    check_guardrails,
    check_quality_monitors,
)
from mlopsgen.spec.checks.infra import (
    check_availability,
    check_gpus,
    check_region,
    check_serving_mode,
)
from mlopsgen.spec.checks.llm import check_language_models
from mlopsgen.spec.checks.models import check_models, check_training
from mlopsgen.spec.checks.rules import check_rules
from mlopsgen.spec.checks.serving import check_decision, check_routing, check_served_models
from mlopsgen.spec.models.root import Spec
from mlopsgen.spec.partial import SectionInvalid
from mlopsgen.spec.source_map import SourceMap

CHECKS: tuple[Callable[[CheckContext], None], ...] = (
    check_duplicate_names,
    check_sources,
    check_entities,
    check_views,
    check_models,
    check_language_models,
    check_training,
    check_served_models,
    check_routing,
    check_decision,
    check_rules,
    check_experiments,
    check_guardrails,
    check_quality_monitors,
    check_gpus,
    check_availability,
    check_serving_mode,
    check_region,
)
"""Every check, in the order of the spec's sections; each only appends diagnostics."""


def check_spec(spec: Spec, source_map: SourceMap) -> list[Diagnostic]:
    """Return every consistency problem of a spec, errors and warnings alike.

    ``spec`` may be partial (:func:`~mlopsgen.spec.partial.partial_spec`): a check that reads
    a section which did not validate is skipped together with what it had found so far.
    """
    ctx = CheckContext(spec, source_map)
    for check in CHECKS:
        found = len(ctx.diagnostics)
        try:
            check(ctx)
        except SectionInvalid:
            del ctx.diagnostics[found:]
    return ctx.diagnostics
