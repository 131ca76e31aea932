"""The operations target: the stack's ``monitoring/`` (alert rules, their tests, routing)."""
