"""Read a source where the plan says it lives, or fall back to the synthetic source.

Loaders by URI: a local path or ``file://`` (parquet, csv, JSON lines, or a directory of
them), ``s3://`` (through boto3, credentials and ``AWS_ENDPOINT_URL`` from the environment),
SQL databases through SQLAlchemy (``sqlite:///...``, ``postgresql://...``: the table is the
source's name, or the URI's ``#fragment``), and a stream read from a snapshot directory of
JSON-lines or parquet files. Kinds that need a running external service (Kafka, BigQuery,
...) cannot be read here: the run uses the synthetic source and says so.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlparse

import pandas as pd

from pipelines.stack_plan import SourceSpec

__all__ = ["SQL_SCHEMES", "load_source", "reachable_locally"]

SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mssql", "oracle")
_SUFFIXES = {".parquet": "parquet", ".csv": "csv", ".json": "json", ".jsonl": "json"}


def _scheme(uri: str) -> str:
    return urlparse(uri).scheme.split("+", 1)[0].lower()


def _local_path(uri: str, root: Path) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "":
        path = Path(uri)
        return path if path.is_absolute() else root / path
    return None


def reachable_locally(source: SourceSpec, root: Path) -> bool:
    """Whether the source can be read on this machine with no service (file or SQLite)."""
    path = _local_path(source.uri, root)
    if path is not None:
        return path.exists()
    if _scheme(source.uri) == "sqlite":
        return Path(urlparse(source.uri).path.lstrip("/")).exists() or source.uri.startswith(
            "sqlite:///:memory:"
        )
    return False


def _read_bytes(data: bytes, kind: str) -> pd.DataFrame:
    buffer = io.BytesIO(data)
    if kind == "parquet":
        return pd.read_parquet(buffer)
    if kind == "csv":
        return pd.read_csv(buffer)
    return pd.read_json(buffer, lines=True)


def _kind(name: str, declared: str | None) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    return declared if declared in ("parquet", "csv", "json") else "parquet"


def _read_files(
    names: list[str], opener: Callable[[str], IO[bytes]], declared: str | None
) -> pd.DataFrame:
    frames = []
    for name in sorted(names):
        with opener(name) as handle:
            frames.append(_read_bytes(handle.read(), _kind(name, declared)))
    if not frames:
        raise FileNotFoundError("no data files found")
    return pd.concat(frames, ignore_index=True)


def _open_file(name: str) -> IO[bytes]:
    return open(name, "rb")


def _load_path(path: Path, declared: str | None) -> pd.DataFrame:
    if path.is_dir():
        names = [str(p) for p in path.rglob("*") if p.suffix.lower() in _SUFFIXES]
        return _read_files(names, _open_file, declared)
    return _read_files([str(path)], _open_file, declared)


def _load_s3(uri: str, declared: str | None) -> pd.DataFrame:
    """Every data file under an ``s3://bucket/prefix`` (or the one object it names)."""
    import boto3

    parsed = urlparse(uri)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/")
    client = boto3.client("s3")
    names: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        names.extend(
            item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/")
        )
    data = [n for n in names if Path(n).suffix.lower() in _SUFFIXES] or names[:1]

    def opener(key: str) -> io.BytesIO:
        return io.BytesIO(client.get_object(Bucket=bucket, Key=key)["Body"].read())

    return _read_files(data, opener, declared)


def _load_sql(source: SourceSpec) -> pd.DataFrame:
    import sqlalchemy

    parsed = urlparse(source.uri)
    table = parsed.fragment or source.name
    engine = sqlalchemy.create_engine(source.uri.split("#", 1)[0])
    try:
        with engine.connect() as connection:
            query = sqlalchemy.select(
                sqlalchemy.table(table, *[sqlalchemy.column(f.name) for f in source.fields])
            )
            return pd.read_sql(query, connection)
    finally:
        engine.dispose()


def load_source(source: SourceSpec, root: Path) -> pd.DataFrame:
    """Every row of ``source``, read through the loader its URI names.

    Raises:
        ValueError: the URI names a service this stack cannot read without it running.
        FileNotFoundError: a file, directory or prefix holds no data.
    """
    path = _local_path(source.uri, root)
    scheme = _scheme(source.uri)
    if path is not None:
        frame = _load_path(path, source.format)
    elif scheme == "s3":
        frame = _load_s3(source.uri, source.format)
    elif scheme in SQL_SCHEMES:
        frame = _load_sql(source)
    else:
        raise ValueError(f"{source.uri!r} needs its service ({scheme}); no loader reads it here")
    return _typed(frame, source)


def _typed(frame: pd.DataFrame, source: SourceSpec) -> pd.DataFrame:
    """Timestamps in UTC, rows in event-time order; other values are left for validation."""
    for column in source.fields:
        if column.name in frame and column.type == "timestamp":
            frame[column.name] = pd.to_datetime(frame[column.name], utc=True)
    if source.event_time is not None and source.event_time in frame:
        frame = frame.sort_values(source.event_time, kind="stable").reset_index(drop=True)
    return frame
