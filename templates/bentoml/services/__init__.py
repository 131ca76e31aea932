"""The stack's model services: BentoML services that answer with the trained models.

Everything here reads ``plan.json`` at run time (request fields, replica sizing, batching,
decision settings), so the services follow the plan without templated values; one package
per service under ``services/<name>/`` holds its BentoML class and request schema.
"""
