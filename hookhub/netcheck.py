"""Checks before ``hookhub serve`` starts listening."""

from __future__ import annotations

import socket

__all__ = ["port_problem"]


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (one line), or None when it can.

    Binds and closes a socket as uvicorn would (``SO_REUSEADDR``), so a port in
    use is reported before anything is printed or started.  Port 0 (a free port
    chosen by the system) is always fine.
    """
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {host}:{port}: unknown host ({exc.strerror}); check server.host or --host"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            hint = ("another process (another hookhub?) listens there; stop it or choose another port "
                    "with --port or server.port") if exc.errno == 98 else "check server.host/server.port"
            return f"cannot listen on {host}:{port}: {reason}; {hint}"
    return None
