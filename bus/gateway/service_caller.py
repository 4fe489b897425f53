"""Service calls made inside the bus (a journey's steps) as a catalog client, without HTTP.

The same path as `/r1` after authentication: the client's access rights (catalog and run-time grants),
its quotas, the envelope on the service's queue (so the worker's retries and circuit breaker apply),
and one TransactionRecord for every sink (transaction log, monitoring), with the dossier code as the
transaction's issue. The caller is trusted to act as `call.client` (it is the bus itself); the client
must still be declared in the catalog and hold the rights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import JsonValue, ValidationError
from pydantic_core import to_json

from bus.catalog import Catalog, ServiceSpec
from bus.codec import decode_reply, envelope_message
from bus.envelope import Envelope, utc_now
from bus.errors import ERRORS_BY_TYPE, BusError, BusTimeout, InternalError, RateLimited, Unauthenticated
from bus.flows.service_calls import CallResult, ServiceCall
from bus.gateway.access import AccessControl
from bus.gateway.ratelimit import RateLimiter, enforce, quotas_for
from bus.gateway.routing import REPLY_GRACE_SECONDS
from bus.identifiers import ClientId, IdentifierError, ServiceId
from bus.subjects import find_subjects
from bus.transaction import TransactionRecord, TransactionSink
from bus.transport.base import Transport


class BusServiceCaller:
    """A `ServiceCaller` over the bus: rights, quotas, the service queue, and the transaction sinks."""

    def __init__(
        self,
        catalog: Catalog,
        transport: Transport,
        access: AccessControl,
        sinks: Sequence[TransactionSink] = (),
        *,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.catalog = catalog
        self.transport = transport
        self.access = access
        self.sinks = list(sinks)
        self.rate_limiter = rate_limiter

    async def call(self, call: ServiceCall) -> CallResult:
        """Make `call`; refusals, provider errors and time-outs come back as results, all recorded."""
        request_in = utc_now()
        body = to_json(call.payload) if call.payload is not None else b""
        times: dict[str, datetime] = {}
        worker: str | None = None
        try:
            service = await self._admit(call)
            envelope = self._envelope(call, service)
            times["request_out"] = utc_now()
            answer = await self.transport.request(
                service.id.queue_name,
                envelope_message(envelope),
                timeout=service.timeout + REPLY_GRACE_SECONDS,
            )
            times["response_in"] = utc_now()
            try:
                reply = decode_reply(answer)
            except ValidationError as exc:
                raise InternalError("the worker's reply could not be read") from exc
            worker = reply.worker
            if reply.ok:
                result = CallResult(
                    outcome="succeeded",
                    transaction_id=call.transaction_id,
                    status=reply.status,
                    payload=reply.payload,
                )
            else:
                assert reply.error is not None
                kind = ERRORS_BY_TYPE.get(reply.error.type, InternalError)
                result = CallResult(
                    outcome="failed",
                    transaction_id=call.transaction_id,
                    status=reply.status,
                    error=reply.error,
                    retryable=kind.retryable,
                )
        except BusError as error:
            result = _refusal(call, error)
        response = to_json(result.payload if result.error is None else result.error.model_dump())
        await self._record(call, body, response, result, request_in, times, worker)
        return result

    async def _admit(self, call: ServiceCall) -> ServiceSpec:
        try:
            client_id, service_id = ClientId.parse(call.client), ServiceId.parse(call.service)
        except IdentifierError as exc:
            raise Unauthenticated(f"journey client or service is not an identifier: {exc}") from exc
        client = self.catalog.client(client_id)
        if client is None:
            raise Unauthenticated(f"client {client_id} is not in the catalog")
        service = await self.access.authorize(client, service_id, call.method, call.path)
        if self.rate_limiter is not None:
            await enforce(self.rate_limiter, quotas_for(client, service))
        return service

    @staticmethod
    def _envelope(call: ServiceCall, service: ServiceSpec) -> Envelope:
        return Envelope(
            message_id=call.message_id,
            correlation_id=call.transaction_id,
            client=ClientId.parse(call.client),
            service=service.id,
            method=call.method,
            path=call.path,
            query=dict(call.query),
            issue=call.issue,
            idempotency_key=call.idempotency_key,
            payload=call.payload,
            deadline_at=utc_now() + timedelta(seconds=service.timeout),
        )

    async def _record(
        self,
        call: ServiceCall,
        body: bytes,
        response: bytes,
        result: CallResult,
        request_in: datetime,
        times: dict[str, datetime],
        worker: str | None,
    ) -> None:
        record = TransactionRecord(
            transaction_id=call.transaction_id,
            message_id=call.message_id,
            client=call.client,
            service=call.service,
            method=call.method,
            path=call.path,
            issue=call.issue,
            subjects=find_subjects(call.payload),
            worker=worker,
            request_in=request_in,
            request_out=times.get("request_out"),
            response_in=times.get("response_in"),
            response_out=utc_now(),
            status=result.status,
            succeeded=result.outcome == "succeeded",
            fault_type=result.error.type if result.error is not None else None,
            request_size=len(body),
            response_size=len(response),
            request_sha256=hashlib.sha256(body).hexdigest(),
            response_sha256=hashlib.sha256(response).hexdigest(),
        )
        # A sink's failure propagates, as on /r1: the journey's tick is redelivered, the call is sent
        # again with the same ids (answered from the worker's record) and recorded then.
        for sink in self.sinks:
            await sink.record(record)


def _refusal(call: ServiceCall, error: BusError) -> CallResult:
    # No answer from a worker (the wait timed out, the transport went away): the call may have run.
    unknown = isinstance(error, BusTimeout | InternalError)
    payload: JsonValue = None
    return CallResult(
        outcome="unknown" if unknown else "failed",
        transaction_id=call.transaction_id,
        status=error.status,
        payload=payload,
        error=error.body(call.transaction_id),
        retryable=error.retryable or isinstance(error, RateLimited),
        retry_after=error.retry_after,
    )
