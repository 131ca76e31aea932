"""The Plan: frozen dataclasses every target reads; `root.Plan` is the whole plan."""
