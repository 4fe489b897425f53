"""The broker setting: one AMQP URL, or several comma-separated (the nodes of a RabbitMQ cluster).

    amqp://guest:guest@rabbit-1:5672/,amqp://guest:guest@rabbit-2:5672/,amqp://guest:guest@rabbit-3:5672/

The transport connects to the first node that answers and, when its connection is lost, to the next one
in the list (see bus.transport.amqp_failover). A comma inside a password must be written `%2C`.
"""

from __future__ import annotations

from urllib.parse import urlparse

from bus.config_masking import hide_url_secrets

AMQP_SCHEMES = ("amqp", "amqps")


class BrokerUrlError(ValueError):
    """A broker URL list with an entry that is not an amqp:// or amqps:// URL naming a host (and a valid
    port), or with one URL listed twice."""


def split_amqp_urls(text: str) -> tuple[str, ...]:
    """The URLs of a comma-separated list, in order; BrokerUrlError names the first bad entry."""
    entries = [entry.strip() for entry in text.split(",")]
    for position, entry in enumerate(entries, start=1):
        if not _is_amqp_url(entry):
            raise BrokerUrlError(
                f"broker URL {position} of {len(entries)} must look like amqp://host[:port]/..., "
                f"got {hide_url_secrets(entry)!r}"
            )
    duplicates = sorted({hide_url_secrets(entry) for entry in entries if entries.count(entry) > 1})
    if duplicates:
        raise BrokerUrlError(f"broker URL listed twice: {', '.join(map(repr, duplicates))}")
    return tuple(entries)


def _is_amqp_url(entry: str) -> bool:
    try:
        parts = urlparse(entry)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in AMQP_SCHEMES and bool(parts.hostname)
