"""Mapping of provider failures (transport errors, HTTP statuses, bodies) to the error taxonomy.

httpx.TimeoutException            → ProviderTimeout
httpx.TransportError (connect …)  → ProviderUnavailable
429, 503                          → ProviderUnavailable (retry_after from Retry-After)
other 5xx                         → ProviderError
4xx                               → ProviderRejected (with the provider's message)
undecodable / invalid body        → BadResponse
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from adapters.sdk.services import describe_validation_error
from bus.errors import (
    BadResponse,
    ProviderError,
    ProviderFault,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

# A provider's message is echoed to the caller: keep it short enough to read in a log line.
_MESSAGE_LIMIT = 300
_MESSAGE_KEYS = ("message", "Message", "error_description", "error", "detail", "faultstring")


def error_from_transport(exc: httpx.TransportError, provider: str) -> ProviderFault:
    """The taxonomy error for a request that got no HTTP answer."""
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeout(f"{provider} did not answer in time ({type(exc).__name__})")
    return ProviderUnavailable(f"{provider} could not be reached: {type(exc).__name__}: {exc}")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent or bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def provider_message(response: httpx.Response) -> str:
    """The provider's own words for a failure: a JSON message field, else the start of the body."""
    text = response.text.strip()
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:_MESSAGE_LIMIT]
    return text[:_MESSAGE_LIMIT] or response.reason_phrase


def error_from_status(response: httpx.Response, provider: str) -> ProviderFault | None:
    """The taxonomy error for a non-2xx answer, or None when the status is a success."""
    status = response.status_code
    if status < 400:
        return None
    message = f"{provider} answered HTTP {status}: {provider_message(response)}"
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return ProviderUnavailable(message, retry_after=retry_after)
    if status >= 500:
        return ProviderError(message)
    return ProviderRejected(message)


def raise_for_status(response: httpx.Response, provider: str) -> None:
    """Raise the taxonomy error for a non-2xx answer; do nothing on success."""
    error = error_from_status(response, provider)
    if error is not None:
        raise error


def json_body(response: httpx.Response, provider: str) -> object:
    """The decoded JSON body; BadResponse when it is not JSON."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadResponse(f"{provider} answered a body that is not JSON: {exc}") from exc


def json_model(response: httpx.Response, model: type[ModelT], provider: str) -> ModelT:
    """The JSON body as the provider's wire `model`; BadResponse naming what does not fit."""
    body = json_body(response, provider)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problem = describe_validation_error(exc)
        raise BadResponse(f"{provider} answered an invalid {model.__name__}: {problem}") from exc
