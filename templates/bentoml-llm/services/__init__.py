"""The stack's language-model service: an OpenAI-compatible BentoML service over one engine.

``services/settings.py`` holds the plan's engine settings and request limits as data; the
service package under ``services/<name>/`` holds the BentoML class and its bentofile.
"""
