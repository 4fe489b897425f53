"""The error taxonomy: who failed, and what the caller sees.

    BusError                                   (abstract; every error below has one type and one status)
    ├── ClientError           Client.*         the caller's fault
    │   ├── BadRequest            Client.BadRequest          400
    │   ├── Unauthenticated       Client.Unauthenticated     401
    │   ├── AccessDenied          Client.AccessDenied        403
    │   ├── UnknownService        Client.UnknownService      404
    │   ├── MethodNotAllowed      Client.MethodNotAllowed    405 (+ Allow)
    │   ├── RequestIncomplete     Client.RequestIncomplete   408
    │   ├── DuplicateRequest      Client.DuplicateRequest    409
    │   ├── PayloadTooLarge       Client.PayloadTooLarge     413
    │   ├── UnsupportedMediaType  Client.UnsupportedMediaType 415
    │   └── RateLimited           Client.RateLimited         429
    ├── BusFault              Server.Bus.*     the bus itself failed
    │   ├── InternalError         Server.Bus.InternalError   500
    │   ├── NoRoute               Server.Bus.NoRoute         502
    │   ├── Overloaded            Server.Bus.Overloaded      503
    │   ├── CircuitOpen           Server.Bus.CircuitOpen     503
    │   ├── BusUnavailable        Server.Bus.Unavailable     503  (broker or shared store unreachable)
    │   └── BusTimeout            Server.Bus.Timeout         504
    │       └── OutcomeUnknown    Server.Bus.OutcomeUnknown  504  (a 202 with no record past its horizon)
    └── ProviderFault         Server.Provider.* the national system failed or answered garbage
        ├── ProviderRejected      Server.Provider.Rejected   422
        ├── ProviderError         Server.Provider.InternalError 502
        ├── BadResponse           Server.Provider.BadResponse 502
        ├── ProviderUnavailable   Server.Provider.Unavailable 503
        └── ProviderTimeout       Server.Provider.Timeout    504

Every error renders as `{type, message, detail}`, detail being the transaction id.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """The JSON body of an error answer."""

    type: str
    message: str
    detail: str | None = None


class BusError(Exception):
    """Base of the taxonomy; subclasses fix `type` and `status`."""

    type: ClassVar[str] = "Server.Bus.InternalError"
    status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False
    # False on an error raised before the provider was reached: it says nothing of the provider's health.
    provider_called: bool = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer must carry besides Retry-After (405's Allow)."""
        return {}

    def body(self, transaction_id: str | None = None) -> ErrorBody:
        """The error as the caller sees it."""
        return ErrorBody(type=self.type, message=self.message, detail=transaction_id)


class ClientError(BusError):
    """The caller's fault: never retried."""

    type = "Client.BadRequest"
    status = 400


class BadRequest(ClientError):
    """Malformed request, body or identifier."""


class Unauthenticated(ClientError):
    """No credentials, or credentials that do not match."""

    type = "Client.Unauthenticated"
    status = 401


class AccessDenied(ClientError):
    """The client is known but has no right to the service."""

    type = "Client.AccessDenied"
    status = 403


class UnknownService(ClientError):
    """The service is not in the catalog."""

    type = "Client.UnknownService"
    status = 404


class MethodNotAllowed(ClientError):
    """The service does not take this HTTP method; `allow` lists those it takes."""

    type = "Client.MethodNotAllowed"
    status = 405

    def __init__(self, message: str, *, allow: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        """`Allow`, as RFC 9110 requires of a 405."""
        return {"allow": ", ".join(self.allow)}


class RequestIncomplete(ClientError):
    """The request did not arrive in full: the caller disconnected or outlasted the read time-out."""

    type = "Client.RequestIncomplete"
    status = 408


class DuplicateRequest(ClientError):
    """A call with the same transaction id (`X-Road-Id`) is still being served."""

    type = "Client.DuplicateRequest"
    status = 409


class PayloadTooLarge(ClientError):
    """The body exceeds the size limit."""

    type = "Client.PayloadTooLarge"
    status = 413


class UnsupportedMediaType(ClientError):
    """The body is not `application/json` in UTF-8."""

    type = "Client.UnsupportedMediaType"
    status = 415


class RateLimited(ClientError):
    """The client's quota is used up; retry after `retry_after` seconds."""

    type = "Client.RateLimited"
    status = 429


class BusFault(BusError):
    """The bus itself failed."""


class InternalError(BusFault):
    """An unexpected failure inside the bus."""


class NoRoute(BusFault):
    """No queue or worker exists for the service."""

    type = "Server.Bus.NoRoute"
    status = 502


class Overloaded(BusFault):
    """The bus refuses work to protect itself."""

    type = "Server.Bus.Overloaded"
    status = 503
    retryable = True


class CircuitOpen(BusFault):
    """The provider's circuit breaker is open: failing fast."""

    type = "Server.Bus.CircuitOpen"
    status = 503
    retryable = True


class BusUnavailable(BusFault):
    """The broker or the shared store cannot be reached: nothing was done, try again shortly."""

    type = "Server.Bus.Unavailable"
    status = 503
    retryable = True


class BusTimeout(BusFault):
    """No reply arrived before the service's deadline."""

    type = "Server.Bus.Timeout"
    status = 504
    retryable = True


class OutcomeUnknown(BusTimeout):
    """An accepted request (a 202) left no record of its outcome by the end of its work horizon: it may
    have run or not, and the bus cannot tell. A retry with the same Idempotency-Key is safe."""

    type = "Server.Bus.OutcomeUnknown"


class ProviderFault(BusError):
    """The national system failed or answered garbage."""

    type = "Server.Provider.InternalError"
    status = 502
    retryable = True


class ProviderError(ProviderFault):
    """The provider answered with a server error (5xx, SOAP Server fault)."""


class ProviderRejected(ProviderFault):
    """The provider refused the request as invalid (4xx, SOAP Client fault)."""

    type = "Server.Provider.Rejected"
    status = 422
    retryable = False


class BadResponse(ProviderFault):
    """The provider's answer could not be understood."""

    type = "Server.Provider.BadResponse"
    status = 502


class ProviderUnavailable(ProviderFault):
    """The provider could not be reached, or said it is unavailable / rate limited."""

    type = "Server.Provider.Unavailable"
    status = 503


class ProviderTimeout(ProviderFault):
    """The provider did not answer within the deadline."""

    type = "Server.Provider.Timeout"
    status = 504


def _leaves(cls: type[BusError]) -> list[type[BusError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_leaves(sub))
    return found


ERRORS_BY_TYPE: dict[str, type[BusError]] = {}
for _cls in _leaves(BusError):
    ERRORS_BY_TYPE[_cls.type] = _cls  # depth-first: the most specific class wins
