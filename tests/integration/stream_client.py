"""A client that sends a multipart body one part at a time and reads the answer meanwhile.

httpx (like most clients) sends the whole request before it reads the response, so it cannot
show whether a server answers each part while the rest is still to come. This one writes the
body with chunked transfer encoding on a raw socket and parses the response with h11.
"""

from __future__ import annotations

import json
import select
import socket
from typing import Any

import h11

BOUNDARY = "vp-stream-test-boundary"


def multipart_part(name: str, data: bytes, *, filename: str | None = None) -> bytes:
    """One part's headers and data, without the delimiters around it."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
    return f"Content-Disposition: {disposition}\r\n\r\n".encode() + data


def multipart_body(parts: list[bytes], boundary: str = BOUNDARY) -> bytes:
    """A whole multipart/form-data body of the given parts, for clients that send it at once."""
    delimiter = f"--{boundary}\r\n".encode()
    inner = f"\r\n--{boundary}\r\n".encode().join(parts)
    return delimiter + inner + f"\r\n--{boundary}--\r\n".encode()


class StreamUpload:
    """POST a multipart body part by part on one connection; read NDJSON lines as they come."""

    def __init__(self, port: int, target: str, *, timeout: float) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.conn = h11.Connection(our_role=h11.CLIENT)
        self.response: h11.Response | None = None
        self.bytes_sent = 0
        self._text = b""
        self._ended = False
        headers = [
            ("Host", f"127.0.0.1:{port}"),
            ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
            ("Transfer-Encoding", "chunked"),
        ]
        self._send(h11.Request(method="POST", target=target, headers=headers))
        self._send(h11.Data(data=f"--{BOUNDARY}\r\n".encode()))

    def __enter__(self) -> StreamUpload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def part(self, part: bytes, *, last: bool = False) -> None:
        """Send one part with the delimiter after it, so the server can tell it is complete."""
        closing = "--\r\n" if last else "\r\n"
        self._send(h11.Data(data=part + f"\r\n--{BOUNDARY}{closing}".encode()))
        if last:
            self._send(h11.EndOfMessage())

    def unfinished_part(self, part: bytes) -> None:
        """Send a part without its end, as a client that stops in the middle of a file does."""
        self._send(h11.Data(data=part))

    def status(self) -> int:
        """The response's status code, waiting for it if need be."""
        while self.response is None:
            self._receive()
        return int(self.response.status_code)

    def next_line(self) -> dict[str, Any] | None:
        """The next NDJSON line, waiting for it; None at the end of the response."""
        while b"\n" not in self._text and not self._ended:
            self._receive()
        if b"\n" not in self._text:
            return None
        line, self._text = self._text.split(b"\n", 1)
        row: dict[str, Any] = json.loads(line)
        return row

    def ready_lines(self) -> list[dict[str, Any]]:
        """The lines that have arrived by now, without waiting."""
        while not self._ended and select.select([self.sock], [], [], 0)[0]:
            self._receive()
        rows = []
        while b"\n" in self._text:
            line, self._text = self._text.split(b"\n", 1)
            rows.append(json.loads(line))
        return rows

    def _send(self, event: h11.Event) -> None:
        data = self.conn.send(event)
        if data:
            self.sock.sendall(data)
            self.bytes_sent += len(data)

    def _receive(self) -> None:
        """Read from the socket once, then take every event h11 can parse from it."""
        self.conn.receive_data(self.sock.recv(65536))
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                return
            if isinstance(event, h11.Response):
                self.response = event
            elif isinstance(event, h11.Data):
                self._text += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                self._ended = True
                return
