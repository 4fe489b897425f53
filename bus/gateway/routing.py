"""`/r1/…`: one call from HTTP request to answer, leaving one TransactionRecord for every sink."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from bus.catalog import Catalog
from bus.codec import decode_reply, envelope_message
from bus.envelope import Envelope, Reply, new_id, utc_now
from bus.errors import BadRequest, BusError, InternalError
from bus.gateway.access import CLIENT_HEADER, authenticate, authorize
from bus.gateway.requests import (
    MAX_HEADER_VALUE,
    TRANSACTION_HEADER,
    build_envelope,
    header,
    parse_payload,
    read_body,
)
from bus.identifiers import IdentifierError, split_service_path
from bus.subjects import find_subjects
from bus.transaction import TransactionRecord, TransactionSink
from bus.transport.base import Transport

log = logging.getLogger(__name__)

# The adapter's deadline is the service's time-out; the gateway waits a little longer so that the
# worker's own verdict (Server.Provider.Timeout) arrives before the gateway's (Server.Bus.Timeout).
REPLY_GRACE_SECONDS = 0.25
WORKER_HEADER = "x-lgsp-worker"


def error_response(error: BusError, transaction_id: str | None) -> JSONResponse:
    """The taxonomy error as `{type, message, detail}` with its status."""
    headers = {TRANSACTION_HEADER: transaction_id} if transaction_id else {}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    return JSONResponse(error.body(transaction_id).model_dump(), status_code=error.status, headers=headers)


@dataclass
class _Facts:
    """What is known of a call so far; becomes its TransactionRecord."""

    transaction_id: str
    request_in: datetime
    method: str
    body: bytes = b""
    envelope: Envelope | None = None
    client: str | None = None
    service: str | None = None
    request_out: datetime | None = None
    response_in: datetime | None = None
    worker: str | None = None
    subjects: tuple[str, ...] = field(default_factory=tuple)

    def record(self, response: Response, fault_type: str | None) -> TransactionRecord:
        envelope = self.envelope
        return TransactionRecord(
            transaction_id=self.transaction_id,
            message_id=envelope.message_id if envelope else None,
            client=self.client,
            service=self.service,
            method=self.method,
            path=envelope.path if envelope else "",
            user_id=envelope.user_id if envelope else None,
            issue=envelope.issue if envelope else None,
            subjects=self.subjects,
            trace_id=envelope.trace.trace_id if envelope else None,
            worker=self.worker,
            request_in=self.request_in,
            request_out=self.request_out,
            response_in=self.response_in,
            response_out=utc_now(),
            status=response.status_code,
            succeeded=fault_type is None,
            fault_type=fault_type,
            request_size=len(self.body),
            response_size=len(response.body),
            request_sha256=hashlib.sha256(self.body).hexdigest(),
            response_sha256=hashlib.sha256(response.body).hexdigest(),
        )


class ServiceRouter:
    """Authenticates, authorizes, puts the envelope on the bus and turns the reply into HTTP."""

    def __init__(
        self, catalog: Catalog, transport: Transport, sinks: Sequence[TransactionSink], max_body_bytes: int
    ) -> None:
        self.catalog = catalog
        self.transport = transport
        self.sinks = list(sinks)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, service_path: str, request: Request) -> Response:
        """Call a service: `/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION[/path]`."""
        given_id = request.headers.get(TRANSACTION_HEADER)
        usable_id = given_id if given_id and len(given_id) <= MAX_HEADER_VALUE else None
        facts = _Facts(transaction_id=usable_id or new_id(), request_in=utc_now(), method=request.method)
        fault_type: str | None = None
        try:
            response = await self._serve(facts, service_path, request)
            if response.status_code >= 400:
                fault_type = json.loads(bytes(response.body)).get("type", "Server.Provider.InternalError")
        except BusError as error:
            response = error_response(error, facts.transaction_id)
            fault_type = error.type
        record = facts.record(response, fault_type)
        for sink in self.sinks:
            await sink.record(record)
        return response

    async def _serve(self, facts: _Facts, service_path: str, request: Request) -> Response:
        facts.client = header(request, CLIENT_HEADER)
        facts.service = service_path[:MAX_HEADER_VALUE]
        client = authenticate(self.catalog, request.headers)
        try:
            service_id, path = split_service_path(service_path)
        except IdentifierError as exc:
            raise BadRequest(str(exc)) from exc
        facts.service = str(service_id)
        service = authorize(self.catalog, client, service_id)
        facts.body = await read_body(request, self.max_body_bytes)
        payload = parse_payload(facts.body)
        facts.subjects = find_subjects(payload)
        envelope = build_envelope(request, facts.transaction_id, client, service, path, payload)
        facts.envelope = envelope
        facts.request_out = utc_now()
        answer = await self.transport.request(
            service.id.queue_name, envelope_message(envelope), timeout=service.timeout + REPLY_GRACE_SECONDS
        )
        facts.response_in = utc_now()
        try:
            reply = decode_reply(answer)
        except ValidationError as exc:
            log.error("malformed reply for %s: %s", envelope.correlation_id, exc)
            raise InternalError("the worker's reply could not be read") from exc
        facts.worker = reply.worker
        return self._answer(envelope, reply)

    @staticmethod
    def _answer(envelope: Envelope, reply: Reply) -> Response:
        headers = {TRANSACTION_HEADER: envelope.correlation_id}
        if reply.worker:
            headers[WORKER_HEADER] = reply.worker
        if reply.trace is not None:
            headers["traceparent"] = reply.trace.traceparent
        if not reply.ok and reply.error is not None:
            reply.error.detail = envelope.correlation_id
            return JSONResponse(reply.error.model_dump(), status_code=reply.status, headers=headers)
        return Response(
            json.dumps(reply.payload, ensure_ascii=False).encode(),
            status_code=reply.status,
            media_type="application/json",
            headers=headers,
        )
