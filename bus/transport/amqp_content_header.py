"""A received content header decoded in one pass over the properties it carries, as pamqp decodes it.

pamqp's `ContentHeader.unmarshal` walks all fourteen properties for each header, looking each one's flag
and type up by name and slicing the rest of the data after each value. `decode_content_header` decodes
only the properties whose flags are set, from a plan made once per set of flags, into the same pamqp
objects (tested against pamqp). A header with a timestamp or a second flag word is decoded by pamqp
itself; one whose values do not fill it exactly raises ValueError (aiormq's reader then decodes it).
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import Any

from pamqp import commands as spec
from pamqp import decode
from pamqp.header import ContentHeader

_HEAD = struct.Struct(">HHQH")  # class id, weight, body size, the first flag word
_SHORT_STRING, _OCTET, _TABLE = "shortstr", "octet", "table"
# A timestamp (decoded to a datetime), a second flag word, the reserved bit: left to pamqp.
_PAMQP_FLAGS = spec.Basic.Properties.flags["timestamp"] | 0b11


@lru_cache(maxsize=256)
def _plan(flags: int) -> tuple[tuple[str, str], ...]:
    """The (name, type) of each property whose flag is set in `flags`, in their order on the wire."""
    return tuple(
        (name, getattr(spec.Basic.Properties, f"_{name}"))
        for name, flag in spec.Basic.Properties.flags.items()
        if flags & flag
    )


def decode_content_header(payload: bytes) -> ContentHeader:
    """The content header frame's payload as pamqp's `ContentHeader.unmarshal` decodes it."""
    class_id, weight, body_size, flags = _HEAD.unpack_from(payload)
    header = ContentHeader(weight=weight, body_size=body_size)
    if flags & _PAMQP_FLAGS:
        header.unmarshal(payload)
        return header
    header.class_id = class_id
    properties = header.properties
    at, end = _HEAD.size, len(payload)
    value: Any
    for name, kind in _plan(flags):
        if at >= end:
            raise ValueError(f"content header truncated before {name}")
        if kind == _SHORT_STRING:
            following = at + 1 + payload[at]
            if following > end:
                raise ValueError(f"content header truncated in {name}")
            value = payload[at + 1 : following].decode("utf-8")
        elif kind == _OCTET:
            value = payload[at]
            following = at + 1
        elif kind == _TABLE:
            consumed, value = decode.field_table(payload[at:])
            following = at + consumed
        else:
            raise ValueError(f"no one-pass decoding of a {kind} ({name})")
        setattr(properties, name, value)
        at = following
    if at != end:
        raise ValueError("the content header's properties do not fill it")
    return header
