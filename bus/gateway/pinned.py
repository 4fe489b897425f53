"""A callback POST aimed at the address the SSRF check approved, so the HTTP client does no second DNS
look-up (which a rebinding name could answer with an internal address between check and connect).

The URL's host is replaced by the checked IP; the `Host` header keeps the name, and for https the TLS
server name (SNI, and the name the certificate is verified against) stays the name too, through
httpx's `sni_hostname` request extension.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class PinnedTarget:
    """Where to connect (`url`, host replaced by the IP) and what to tell the server (`headers`, SNI)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def pinned_target(url: str, address: IpAddress) -> PinnedTarget:
    """`url` pinned to `address`; a URL whose host is already that IP is left as it is."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if address.version == 6 else str(address)
    if host.strip("[]") == str(address):
        return PinnedTarget(url)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
    # netloc has no credentials (the policy refuses them), so it is exactly host[:port].
    return PinnedTarget(pinned, {"host": parts.netloc}, extensions)
