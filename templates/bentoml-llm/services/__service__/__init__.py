"""The BentoML service of the stack's language model and its bentofile."""
