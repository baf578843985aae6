"""uvicorn's HTTP protocol for `vp serve --workers N`, with TCP_NODELAY on every connection.

With workers, uvicorn opens the listening socket itself (protocol number 0), and asyncio sets
TCP_NODELAY only on sockets that say IPPROTO_TCP: the connections a worker accepts keep Nagle's
algorithm, and on keep-alive every response waits ~40 ms for the client's delayed ACK."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHTTPProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with Nagle's algorithm off for the connection."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock: Any = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
