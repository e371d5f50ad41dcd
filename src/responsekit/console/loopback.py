"""The console's loopback rule: it answers only loopback clients and refuses to start on a
non-loopback bind, unless ``console_allow_remote`` says otherwise.

The console shows what every caller's responses are doing (isolated ones only as summaries), so it
is a debugging aid for the machine it runs on, not something to expose by accident.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

#: Names that always mean this machine.
_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` (an IP address or ``localhost``) is this machine's loopback."""
    if not address:
        return False
    address = address.strip().strip("[]").lower()
    if address in _LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is not part of it
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1, how a dual-stack socket reports an IPv4 client
    return ip.is_loopback


def client_is_loopback(scope: dict[str, Any]) -> bool:
    """Whether the ASGI ``scope``'s client is on loopback. An unknown client counts as remote."""
    client = scope.get("client")
    return bool(client) and is_loopback(str(client[0]))


def bind_problem(
    options: Any, host: str | None = None, sockets: Iterable[socket.socket] | None = None
) -> str | None:
    """Why the console must not start on this bind (``host``, or the ``sockets`` served instead);
    None when it may: the console is off, remote access is allowed, or every address is loopback."""
    if not options.console or options.console_allow_remote:
        return None
    addresses: list[str] = []
    for sock in sockets or ():
        name = sock.getsockname()
        addresses.append(name[0] if isinstance(name, tuple) else "")  # a Unix socket: no address
    if not sockets:
        addresses.append(host or "")
    for address in addresses:
        if address and not is_loopback(address):
            return (
                f"the event console (console=True) serves only loopback, but the server binds {address}; "
                "bind 127.0.0.1, or set console_allow_remote=True (--console-allow-remote, "
                "RESPONSEKIT_CONSOLE_ALLOW_REMOTE=1) if every client that can reach it may see it"
            )
    return None
