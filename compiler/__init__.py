"""mlopsgen: a declarative spec compiler for MLOps stacks.

The pipeline is ``load_spec -> build_plan -> render -> format -> write``; each stage is a
library function so the CLI stays thin and tests can drive any stage in-process.
"""

__version__ = "0.1.0"
