"""The stack README's "Feature store" section: apply and materialise, locally and in the cloud."""

from __future__ import annotations

from mlopsgen.plan.ir.root import Plan
from mlopsgen.render.filters_markup import markdown_code
from mlopsgen.targets.feast.views import CLOUD_ENVIRONMENT

__all__ = ["readme_section"]

_LOCAL = """\
`features/` is a Feast repository; `pipelines/feature_store.py` computes its feature tables
(window aggregates per entity, point in time correct: a row at time t aggregates only
events known at t) into `data/features/`, and the registry and SQLite online store live in
`data/feast/`. The `materialize_features` pipeline does all of it; by hand, from the stack root:

```sh
python -c "from pathlib import Path; from pipelines.feature_store import apply; apply(Path('.'))"
feast -c features apply   # the same, with Feast's own command
feast -c features materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)"
```

Training reads each model's feature service with `get_historical_features` (columns named
`<view>__<feature>`); serving reads the same service from the online store."""

_STREAM = """\
Stream views are updated by the stream consumer, which reads a snapshot directory of
events (parquet, CSV or JSON lines), recomputes the touched entities' aggregates and pushes
them through the view's push source. Run it at least once per the view's freshness:

```sh
python -c "from pathlib import Path; from pipelines.feature_store import push_from_snapshot; \\
print(push_from_snapshot('VIEW', Path('SNAPSHOT_DIR'), Path('.')))"
```
"""

_CLOUD = """\
In the cloud, `features/feature_store.cloud.yaml` names the planned online store ({store});
its connection comes from the environment, filled from the Terraform outputs, so no address
or secret is written into the repository:

```sh
pip install "feast[{extras}]==0.67.0"   # Feast's clients for the registry bucket and the store
{exports}
export MLOPSGEN_FEATURE_STORE_YAML=feature_store.cloud.yaml   # what the pipelines read
feast -c features -f features/feature_store.cloud.yaml apply
```

If the store needs TLS or a password, append them to `FEAST_ONLINE_STORE_ENDPOINT` from your
secret manager (Redis: `host:port,ssl=true,password=...`); never commit them. The feature
tables stay parquet files in `data/features/` where the pipeline runs; the registry records
their paths at apply time, so apply from the place that materialises."""


#: Feast's install extra for each online store (the cloud's own extra covers its registry).
_STORE_EXTRAS = {"redis": "redis", "dynamodb": "aws", "bigtable": "gcp"}


def readme_section(plan: Plan) -> str:
    """Markdown for the section: local commands, stream views, cloud wiring."""
    parts = [_LOCAL]
    streams = [v for v in plan.features.views if v.compute == "stream"]
    if streams:
        rows = [
            f"- {markdown_code(v.name)}: at most {v.max_staleness_seconds or v.ttl_seconds} s stale"
            for v in streams
        ]
        parts.append(_STREAM + "\n" + "\n".join(rows))
    if plan.infrastructure.cloud != "local":
        exports = "\n".join(
            f'export {variable}="$(terraform -chdir=infra output -raw {output})"'
            for variable, output in CLOUD_ENVIRONMENT.items()
        )
        kind = plan.features.online_store.kind
        cloud = plan.infrastructure.cloud
        extras = sorted({cloud, _STORE_EXTRAS.get(kind, cloud)})
        store = markdown_code(kind)
        parts.append(_CLOUD.format(store=store, exports=exports, extras=",".join(extras)))
    return "\n\n".join(parts) + "\n"
