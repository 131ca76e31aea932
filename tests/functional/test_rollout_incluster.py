"""The rollout controller's in-cluster path to the Kubernetes API: HTTPS, the service account's
CA and its bearer token, as the CronJob's pods call it.

No ``MLOPSGEN_KUBERNETES_API``: the controller (the fraud stack's ``python -m
pipelines.rollout``, in the stack's interpreter; built, not trained: ``status`` and ``adopt``
need no model) finds the API server as a pod does, from ``KUBERNETES_SERVICE_HOST`` and
``KUBERNETES_SERVICE_PORT``, here the fake of :mod:`tests.functional.kubernetes_api` served
over TLS on 127.0.0.1 with a certificate a CA made here signed (``cryptography``, installed in
the stack's environment for its tests). The service account's folder is one of the test's
(``MLOPSGEN_SERVICEACCOUNT_DIR``) holding ``token``, ``ca.crt`` and ``namespace``, as the
kubelet projects them. Every request carries the token, read again after a rotation; a bare
ConfigMap name lands in the folder's namespace; a CA that did not sign the server's
certificate fails the command with a message, not a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.functional.kubernetes_api import FakeApi, serve
from tests.functional.stack_env import run_in_stack, stack_python
from tests.functional.zenml_stacks import build

SPEC = SPECS / "fraud-detection.yaml"
MODEL = "fraud_xgb"
NAMESPACE = "fraud-pods"
NAME = "fraud-detection-rollout"
ITEM = f"/api/v1/namespaces/{NAMESPACE}/configmaps/{NAME}"

pytestmark = [pytest.mark.slow]

#: Two CAs (``ca``, ``other-ca``) and a server certificate for 127.0.0.1 that ``ca`` signed,
#: as PEM files in the folder given, made with the stack environment's ``cryptography``.
CERTIFICATES = """
import datetime, ipaddress, sys
from pathlib import Path
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

folder = Path(sys.argv[1])
now = datetime.datetime.now(datetime.timezone.utc)

def name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

def pem(path, data):
    (folder / path).write_bytes(data)

def authority(label):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(name(label)).issuer_name(name(label))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                          content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    pem(f"{label}.crt", cert.public_bytes(serialization.Encoding.PEM))
    return key, cert

ca_key, ca_cert = authority("ca")
authority("other-ca")
key = ec.generate_private_key(ec.SECP256R1())
server = (
    x509.CertificateBuilder().subject_name(name("kubernetes")).issuer_name(ca_cert.subject)
    .public_key(key.public_key()).serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(hours=1))
    .not_valid_after(now + datetime.timedelta(days=1))
    .add_extension(
        x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
        critical=False,
    )
    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    .add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
    )
    .sign(ca_key, hashes.SHA256())
)
pem("server.crt", server.public_bytes(serialization.Encoding.PEM))
pem("server.key", key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack_python()
    return build(SPEC, tmp_path_factory.mktemp("rollout-incluster") / "stack")


@pytest.fixture(scope="module")
def certificates(stack: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("certificates")
    run_in_stack(stack, ["-c", CERTIFICATES, str(folder)])
    return folder


@pytest.fixture
def https_api(certificates: Path) -> Iterator[tuple[FakeApi, int]]:
    fake = FakeApi()
    chain = (certificates / "server.crt", certificates / "server.key")
    with serve(fake, chain) as (_, port):
        yield fake, port


def _account(folder: Path, certificates: Path, ca: str, token: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "token").write_text(token + "\n", encoding="utf-8")
    (folder / "namespace").write_text(NAMESPACE, encoding="utf-8")
    (folder / "ca.crt").write_bytes((certificates / f"{ca}.crt").read_bytes())
    return folder


def _in_pod(stack: Path, port: int, account: Path, *args: str) -> tuple[int, str, str]:
    """The controller as the CronJob's pod runs it: no API override, a bare ConfigMap name."""
    done = run_in_stack(
        stack,
        ["-m", "pipelines.rollout", *args],
        extra_env={
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(port),
            "MLOPSGEN_SERVICEACCOUNT_DIR": str(account),
            "MLOPSGEN_ROLLOUT_CONFIGMAP": NAME,
            "MLOPSGEN_KUBERNETES_API": "",
        },
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _rollout() -> dict[str, Any]:
    return {
        "model": MODEL,
        "candidate": "2",
        "baseline": "1",
        "strategy": "canary",
        "steps_percent": [5.0, 25.0, 50.0, 100.0],
        "step_minutes": 30,
        "step": 0,
        "step_started": "2026-03-02T09:00:00+00:00",
        "status": "running",
        "salt": f"{MODEL}:2",
        "history": [{"status": "running", "step": 0, "at": "2026-03-02T09:00:00+00:00"}],
    }


def test_the_controller_calls_the_api_over_https_with_the_token_and_the_ca(
    stack: Path, certificates: Path, https_api: tuple[FakeApi, int], tmp_path: Path
) -> None:
    fake, port = https_api
    account = _account(tmp_path / "account", certificates, "ca", "token-1")
    code, out, err = _in_pod(stack, port, account, "status")
    assert (code, out.strip()) == (0, "{}"), err
    assert fake.log == [("GET", ITEM, 404)], "the namespace comes from the account's folder"
    assert fake.authorizations == ["Bearer token-1"]

    state = tmp_path / "training-run.json"
    state.write_text(json.dumps({"rollouts": {MODEL: _rollout()}}), encoding="utf-8")
    (account / "token").write_text("token-2\n", encoding="utf-8")  # the kubelet rotated it
    code, out, err = _in_pod(stack, port, account, "adopt", "--from", str(state))
    assert code == 0, out + err
    assert f"{MODEL} version 2: adopted" in out
    assert [entry[:2] for entry in fake.log[1:]] == [
        ("GET", ITEM),  # what is there
        ("GET", ITEM),  # read again to save
        ("POST", f"/api/v1/namespaces/{NAMESPACE}/configmaps"),
    ]
    assert fake.authorizations[1:] == ["Bearer token-2"] * 3, "read again on every request"
    stored = json.loads(fake.objects[ITEM]["data"]["rollout.json"])["rollouts"][MODEL]
    assert (stored["candidate"], stored["status"]) == ("2", "running")


def test_a_server_the_accounts_ca_did_not_sign_fails_with_a_message(
    stack: Path, certificates: Path, https_api: tuple[FakeApi, int], tmp_path: Path
) -> None:
    fake, port = https_api
    account = _account(tmp_path / "account", certificates, "other-ca", "token-1")
    code, out, err = _in_pod(stack, port, account, "status")
    assert code == 1, out + err
    assert "Traceback" not in err, err
    assert err.startswith(f"rollout: the state: configmap {NAMESPACE}/{NAME}: "), err
    assert f"the API server https://127.0.0.1:{port} is not trusted by {account / 'ca.crt'}" in err
    assert fake.log == [], "no request reached the server"
