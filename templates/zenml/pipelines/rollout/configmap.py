"""The rollout state in a Kubernetes ConfigMap, through the API server; standard library only.

On a cluster the controller runs as a CronJob and ``MLOPSGEN_ROLLOUT_CONFIGMAP`` names the
ConfigMap, ``<namespace>/<name>`` (a bare name: the pod's own namespace). The state is the
same JSON as the local file, under the key ``rollout.json``; the service's pods mount the
ConfigMap and read that file. The API server is ``https://$KUBERNETES_SERVICE_HOST:
$KUBERNETES_SERVICE_PORT``, trusted by the service account's CA (``ca.crt``) and called with
its token (``token``), both in ``/var/run/secrets/kubernetes.io/serviceaccount/`` and read
again on every request since the kubelet rotates the token; a server the CA does not vouch for
fails the command with a message naming the CA file. ``MLOPSGEN_SERVICEACCOUNT_DIR`` names
another folder holding ``token``, ``ca.crt`` and ``namespace`` (a test's, or a kubelet that
projects them elsewhere). ``MLOPSGEN_KUBERNETES_API`` overrides the address (an ``http://``
one needs no CA, e.g. ``kubectl proxy`` on 127.0.0.1; the token is sent only when the file
exists).

Writers never lose each other's changes: an update reads the ConfigMap with its
``resourceVersion``, applies the change to what it read, and replaces the ConfigMap with that
``resourceVersion``; if another writer saved in between, the API server answers 409 Conflict
and the update starts again from a fresh read (at most :data:`ATTEMPTS` times). The first save
creates the ConfigMap; a 409 there (another writer created it first) also starts again.
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.rollout.state import Change, Rollout, decode_rollouts, encode_rollouts

__all__ = [
    "ACCOUNT_VARIABLE",
    "API_VARIABLE",
    "ATTEMPTS",
    "CONFIGMAP_VARIABLE",
    "KEY",
    "ConfigMapStore",
    "StateError",
    "account_dir",
    "api_base",
]

CONFIGMAP_VARIABLE = "MLOPSGEN_ROLLOUT_CONFIGMAP"
API_VARIABLE = "MLOPSGEN_KUBERNETES_API"
ACCOUNT_VARIABLE = "MLOPSGEN_SERVICEACCOUNT_DIR"
ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
KEY = "rollout.json"
ATTEMPTS = 5
TIMEOUT_SECONDS = 30
CONFLICT = 409
NOT_FOUND = 404


class StateError(RuntimeError):
    """The ConfigMap could not be read or saved (the message says why)."""


def account_dir() -> Path:
    """The service account's folder: ``MLOPSGEN_SERVICEACCOUNT_DIR``, else the kubelet's."""
    chosen = os.environ.get(ACCOUNT_VARIABLE)
    return Path(chosen) if chosen else ACCOUNT


def api_base() -> str:
    """The API server's base URL: ``MLOPSGEN_KUBERNETES_API``, else the in-cluster address."""
    override = os.environ.get(API_VARIABLE)
    if override:
        return override.rstrip("/")
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    if not host:
        raise StateError(
            f"no Kubernetes API: KUBERNETES_SERVICE_HOST is unset outside a cluster "
            f"({API_VARIABLE} names one)"
        )
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


@dataclass(frozen=True)
class ConfigMapStore:
    """The state in ConfigMap ``name`` of ``namespace`` (see the module docstring)."""

    namespace: str
    name: str
    api: str
    account: Path = field(default_factory=account_dir)

    @classmethod
    def named(cls, text: str, account: Path | None = None) -> ConfigMapStore:
        """The store of ``<namespace>/<name>``, or of ``<name>`` in the pod's namespace."""
        account = account_dir() if account is None else account
        namespace, slash, name = text.rpartition("/")
        if not slash:
            try:
                namespace = (account / "namespace").read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                namespace = ""
        if not namespace or not name:
            raise StateError(f"{CONFIGMAP_VARIABLE}={text!r}: expected <namespace>/<name>")
        return cls(namespace, name, api_base(), account)

    @property
    def where(self) -> str:
        """The ConfigMap, as ``kubectl`` names it."""
        return f"configmap {self.namespace}/{self.name}"

    def _collection(self) -> str:
        return f"/api/v1/namespaces/{urllib.parse.quote(self.namespace, safe='')}/configmaps"

    def _item(self) -> str:
        return f"{self._collection()}/{urllib.parse.quote(self.name, safe='')}"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        try:
            token = (self.account / "token").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            token = ""
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _context(self) -> ssl.SSLContext | None:
        """Trust the service account's CA (the system's CAs when it has none)."""
        if not self.api.startswith("https:"):
            return None
        ca = self.account / "ca.crt"
        try:
            return ssl.create_default_context(cafile=str(ca) if ca.exists() else None)
        except ssl.SSLError as err:
            raise StateError(f"{self.where}: {ca} holds no usable CA certificate: {err}") from err

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """The API server's status and JSON answer to one request."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.api + path, data=data, method=method, headers=self._headers()
        )
        context = self._context()
        try:
            with urllib.request.urlopen(
                request, timeout=TIMEOUT_SECONDS, context=context
            ) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            payload = err.read()
            try:
                answer = json.loads(payload)
            except ValueError:
                answer = {"message": payload.decode("utf-8", "replace")}
            return err.code, answer if isinstance(answer, dict) else {"message": str(answer)}
        except urllib.error.URLError as err:
            if isinstance(err.reason, ssl.SSLCertVerificationError):
                trusted = self.account / "ca.crt"
                by = str(trusted) if trusted.exists() else "the system's CAs"
                raise StateError(
                    f"{self.where}: the API server {self.api} is not trusted by {by}: "
                    f"{err.reason.verify_message or err.reason}"
                ) from err
            raise StateError(f"{self.where}: {method} {self.api}: {err.reason}") from err
        except OSError as err:
            raise StateError(f"{self.where}: {method} {self.api}: {err}") from err

    def _failed(self, action: str, status: int, answer: dict[str, Any]) -> StateError:
        message = answer.get("message") or answer.get("reason") or "no message"
        return StateError(f"{self.where}: {action} answered {status}: {message}")

    def _read(self) -> tuple[dict[str, Rollout], dict[str, Any] | None]:
        """The state and the ConfigMap it came from (None: there is no ConfigMap yet)."""
        status, answer = self._call("GET", self._item())
        if status == NOT_FOUND:
            return {}, None
        if status != 200:
            raise self._failed("read", status, answer)
        text = (answer.get("data") or {}).get(KEY)
        return (decode_rollouts(text) if text else {}), answer

    def load(self) -> dict[str, Rollout]:
        """Every model's rollout in the ConfigMap (none when it or its key is absent)."""
        return self._read()[0]

    def _created(self, text: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "mlopsgen-rollout"},
            },
            "data": {KEY: text},
        }

    @staticmethod
    def _replaced(existing: dict[str, Any], text: str) -> dict[str, Any]:
        """The ConfigMap read, with the new state; its ``resourceVersion`` is the one read."""
        metadata = {k: v for k, v in existing["metadata"].items() if k != "managedFields"}
        return {
            **existing,
            "metadata": metadata,
            "data": {**(existing.get("data") or {}), KEY: text},
        }

    def update(self, change: Change) -> dict[str, Rollout]:
        """Read, apply ``change``, save; on a conflict read again (see the module docstring).

        Raises:
            StateError: the API server refused, or other writers won :data:`ATTEMPTS` times.
        """
        for _ in range(ATTEMPTS):
            current, existing = self._read()
            after = change(current)
            text = encode_rollouts(after)
            if existing is None:
                status, answer = self._call("POST", self._collection(), self._created(text))
                action = "create"
            else:
                status, answer = self._call("PUT", self._item(), self._replaced(existing, text))
                action = "replace"
            if status in (200, 201):
                return after
            if status != CONFLICT:
                raise self._failed(action, status, answer)
        raise StateError(f"{self.where}: changed by another writer {ATTEMPTS} times in a row")
