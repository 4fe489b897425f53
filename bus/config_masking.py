"""Secrets hidden from printed configuration: secret-typed values, secret-named keys, URL passwords."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, JsonValue, SecretBytes, SecretStr

MASK = "********"

# Names whose values are secret whatever their type (a str field, a dict key in adapter overrides).
_SECRET_WORDS = re.compile(r"secret|passw|credential|private|sha256")
_SECRET_ENDINGS = ("api_key", "apikey", "access_key", "signing_key", "token", "tokens", "pwd")


def is_secret_name(name: str) -> bool:
    """Whether a setting or key of this name holds a secret (`token_secret`, `api_key`, `password`)."""
    lowered = name.lower().replace("-", "_")
    return bool(_SECRET_WORDS.search(lowered)) or lowered.endswith(_SECRET_ENDINGS)


def hide_url_secrets(text: str) -> str:
    """`text` with a URL's password and secret-named query values masked; other text unchanged.

    A comma-separated list (a cluster's broker URLs) has each of its URLs masked."""
    return ",".join(_hide_one_url_secrets(part) for part in text.split(","))


def _hide_one_url_secrets(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if is_secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def masked(value: object, name: str = "") -> JsonValue:
    """`value` as JSON data with every secret replaced by MASK; `name` is the setting or key it sits under."""
    if isinstance(value, SecretStr | SecretBytes):
        return MASK
    if name and is_secret_name(name) and value not in (None, "", (), [], {}):
        return MASK
    if isinstance(value, BaseModel):
        return {field: masked(getattr(value, field), field) for field in type(value).model_fields}
    if isinstance(value, Mapping):
        return {str(key): masked(item, str(key)) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return [masked(item) for item in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return masked(value.value, name)
    return hide_url_secrets(str(value))
