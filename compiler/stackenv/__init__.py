"""The stack's own Python environment: built from its pins, cached by their hash, reused.

A generated stack runs in an interpreter of its own (ZenML, BentoML, Feast, the frameworks),
never in the compiler's. :func:`ensure_env` gives that interpreter: it reads the stack's
pinned requirements (``pyproject.toml``) and lock (``constraints.txt``), hashes them with the
Python minor version, and returns the environment cached under that hash, building it first
when there is none. Building happens in a temporary directory renamed into place when pip has
finished, under a lock, so a killed or concurrent build never leaves a half-installed
environment where a later run would use it.
"""

from mlopsgen.stackenv.cache import EnvResult, cache_root, ensure_env
from mlopsgen.stackenv.errors import EnvBuildError
from mlopsgen.stackenv.pins import EnvPins, read_stack_pins

__all__ = ["EnvBuildError", "EnvPins", "EnvResult", "cache_root", "ensure_env", "read_stack_pins"]
