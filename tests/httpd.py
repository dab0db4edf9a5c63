"""Real HTTP servers on 127.0.0.1 for the tests' outbound calls (scripts' HTTP(), egress, certificates)."""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers with :meth:`send_body`."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass

    def request_body(self) -> bytes:
        """The request's body (by its Content-Length)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_body(self, status: int, body: bytes, content_type: str | None = "application/json",
                  headers: dict[str, str] | None = None) -> None:
        """One complete answer; a client that gave up first (the timeout tests) is not an error."""
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler],
            tls: ssl.SSLContext | None = None) -> Iterator[ThreadingHTTPServer]:
    """A threading HTTP(S) server on a free port of 127.0.0.1 for the duration of the block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def base_url(httpd: ThreadingHTTPServer) -> str:
    """``http://127.0.0.1:<port>`` of a server from :func:`serving`."""
    return f"http://127.0.0.1:{httpd.server_address[1]}"
