"""Cross-field checks of a spec, one module per concern; `run.check_spec` runs them all."""
