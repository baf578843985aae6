"""Blocks outbound network (loopback stays open) in the test process and its subprocesses.

The test suite puts this folder on PYTHONPATH, so subprocesses (`vp train`) load it at start-up
through `sitecustomize`: an accidental download then fails loudly instead of passing on a
machine that happens to be online.
"""

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "::1", ""}


class NetworkBlockedError(OSError):
    """Raised for any outbound connection attempt during the tests."""


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str) or host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard_address(address: object) -> None:
    if isinstance(address, tuple) and address and not _is_local(address[0]):
        raise NetworkBlockedError(f"network access blocked in tests: {address!r}")


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto
_getaddrinfo = socket.getaddrinfo


def _blocked_connect(self: socket.socket, address: object) -> None:
    _guard_address(address)
    return _connect(self, address)  # type: ignore[arg-type]


def _blocked_connect_ex(self: socket.socket, address: object) -> int:
    _guard_address(address)
    return _connect_ex(self, address)  # type: ignore[arg-type]


def _blocked_sendto(self: socket.socket, data: bytes, *args: object) -> int:
    _guard_address(args[-1])
    return _sendto(self, data, *args)  # type: ignore[arg-type]


def _blocked_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
    if not _is_local(host):
        raise NetworkBlockedError(f"DNS lookup blocked in tests: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


def install() -> None:
    socket.socket.connect = _blocked_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _blocked_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _blocked_sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _blocked_getaddrinfo  # type: ignore[assignment]
    socket.gethostbyname = lambda host: (_guard_address((host, 0)), "127.0.0.1")[1]  # type: ignore[assignment]
