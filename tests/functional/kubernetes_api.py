"""A small fake of the Kubernetes API server's ConfigMap endpoints, on 127.0.0.1.

The two ConfigMap endpoints the rollout controller calls (the item: GET, PUT; the collection:
POST) with ``resourceVersion`` semantics (a PUT carrying a stale version gets 409 Conflict, a
POST of an existing name too), and Prometheus's query endpoint, which reports healthy canary
traffic (:data:`CANARY_ROWS` rows, no errors). The fake can answer 409 to the next PUT as if
another writer had saved first (:attr:`FakeApi.conflicts`), and records every request with the
``Authorization`` header it carried. Served over plain HTTP, or over TLS with a certificate
the test made (:func:`serve`).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["CANARY_ROWS", "FakeApi", "serve"]

#: The canary's rows over any window, as the fake Prometheus reports them.
CANARY_ROWS = 5000


class FakeApi:
    """One ConfigMap store and a request log, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, dict[str, Any]] = {}
        self.version = 0
        self.conflicts = 0
        self.log: list[tuple[str, str, int]] = []
        #: The ``Authorization`` header of each request, in order (None: none sent).
        self.authorizations: list[str | None] = []

    def next_version(self) -> str:
        self.version += 1
        return str(self.version)


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            api.log.append((self.command, urlsplit(self.path).path, status))
            api.authorizations.append(self.headers.get("Authorization"))
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            body: dict[str, Any] = json.loads(self.rfile.read(length))
            return body

        @staticmethod
        def _status(code: int, reason: str) -> dict[str, Any]:
            return {"kind": "Status", "status": "Failure", "reason": reason, "code": code}

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/api/v1/query":
                query = parse_qs(url.query)["query"][0]
                rows = 0 if 'outcome="error"' in query else CANARY_ROWS
                self._answer(200, {"data": {"result": [{"value": [0, str(rows)]}]}})
                return
            with api.lock:
                found = api.objects.get(url.path)
                if found is None:
                    self._answer(404, self._status(404, "NotFound"))
                else:
                    self._answer(200, json.loads(json.dumps(found)))

        def do_POST(self) -> None:
            body = self._body()
            path = f"{urlsplit(self.path).path}/{body['metadata']['name']}"
            with api.lock:
                if path in api.objects:
                    self._answer(409, self._status(409, "AlreadyExists"))
                    return
                body["metadata"]["resourceVersion"] = api.next_version()
                api.objects[path] = body
                self._answer(201, body)

        def do_PUT(self) -> None:
            body = self._body()
            path = urlsplit(self.path).path
            with api.lock:
                current = api.objects.get(path)
                if current is None:
                    self._answer(404, self._status(404, "NotFound"))
                    return
                if api.conflicts:
                    # another writer saved first: the stored version moves on
                    api.conflicts -= 1
                    current["metadata"]["resourceVersion"] = api.next_version()
                if (
                    body["metadata"].get("resourceVersion")
                    != current["metadata"]["resourceVersion"]
                ):
                    self._answer(409, self._status(409, "Conflict"))
                    return
                body["metadata"]["resourceVersion"] = api.next_version()
                api.objects[path] = body
                self._answer(200, body)

    return Handler


class _Server(ThreadingHTTPServer):
    #: TLS handshakes a client refuses (an untrusted certificate) are expected: not logged.
    def handle_error(self, request: Any, client_address: Any) -> None:
        return


@contextmanager
def serve(fake: FakeApi, certificate: tuple[Path, Path] | None = None) -> Iterator[tuple[str, int]]:
    """Serve ``fake`` on a free port of 127.0.0.1: the host and port. With ``certificate``
    (the certificate chain's and the key's PEM files) over TLS."""
    server = _Server(("127.0.0.1", 0), _handler(fake))
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
