"""The spec's pydantic models, one module per section; `root.Spec` is the whole spec."""
