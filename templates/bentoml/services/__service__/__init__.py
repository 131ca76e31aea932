"""One BentoML service of the stack: its class (``service.py``) and request schema."""
