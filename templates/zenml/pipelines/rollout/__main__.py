"""``python -m pipelines.rollout``: the rollout controller's command line
(:mod:`pipelines.rollout.controller` says what each command does)."""

from __future__ import annotations

import sys

from pipelines.rollout.controller import main

if __name__ == "__main__":
    sys.exit(main())
