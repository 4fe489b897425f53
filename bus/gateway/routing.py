"""`/r1/…`: one call from HTTP request to answer, leaving one TransactionRecord for every sink."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import JsonValue, ValidationError

from bus.answers import JSON, reply_body, reply_headers
from bus.auth.settings import AuthSettings
from bus.catalog import Catalog, ServiceSpec
from bus.codec import decode_reply, envelope_message
from bus.envelope import Envelope, new_id, utc_now
from bus.errors import (
    BadRequest,
    BusError,
    BusTimeout,
    BusUnavailable,
    DuplicateRequest,
    ErrorBody,
    InternalError,
)
from bus.gateway.access import CLIENT_HEADER, AccessControl, RightsCheck
from bus.gateway.async_requests import (
    CALLBACK_HEADER,
    PREFER_HEADER,
    AsyncCalls,
    AsyncChoice,
    CallbackPolicy,
    TransactionState,
    async_choice,
)
from bus.gateway.backpressure import InFlightLimit, Slot
from bus.gateway.call_facts import CallFacts, mark_recorded
from bus.gateway.idempotency import STILL_WORKING, IdempotencyKeys, fingerprint, work_horizon
from bus.gateway.limits import InputLimits, check_json_depth
from bus.gateway.ratelimit import MemoryRateLimiter, RateLimiter, enforce, quotas_for
from bus.gateway.requests import (
    MAX_HEADER_VALUE,
    TRANSACTION_HEADER,
    build_envelope,
    caller_transaction_id,
    check_transaction_id,
    header,
    header_values,
    parse_payload,
    read_body,
)
from bus.gateway.settings import GatewaySettings
from bus.gateway.settle_later import LateSettlements
from bus.identifiers import IdentifierError, ServiceId, split_service_path
from bus.store import MemoryStore, Store
from bus.store.write_behind import WriteBehindStore
from bus.subjects import find_subjects
from bus.transaction import TransactionSink
from bus.transport.base import Transport
from bus.transport.unconfirmed import PublishUnconfirmed

log = logging.getLogger(__name__)

# The adapter's deadline is the service's time-out; the gateway waits a little longer so that the
# worker's own verdict (Server.Provider.Timeout) arrives before the gateway's (Server.Bus.Timeout).
REPLY_GRACE_SECONDS = 0.25
# Service paths already parsed; REST sub-paths can be unbounded, so the memo is emptied when full.
PATH_MEMO_SIZE = 1024


def error_response(error: BusError, transaction_id: str | None) -> JSONResponse:
    """The taxonomy error as `{type, message, detail}` with its status."""
    headers = {TRANSACTION_HEADER: transaction_id} if transaction_id else {}
    headers.update(error.headers())
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    return JSONResponse(error.body(transaction_id).model_dump(), status_code=error.status, headers=headers)


class ServiceRouter:
    """Authenticates, authorizes, limits, puts the envelope on the bus and turns the reply into HTTP.

    `store` holds idempotent answers and async transactions (share one Redis store between replicas);
    `rate_limiter` holds the quotas (a RedisRateLimiter for replicas). Call `drain` on shutdown.
    """

    def __init__(
        self,
        catalog: Catalog,
        transport: Transport,
        sinks: Sequence[TransactionSink],
        max_body_bytes: int,
        *,
        store: Store | None = None,
        rate_limiter: RateLimiter | None = None,
        settings: GatewaySettings | None = None,
        callback_http: httpx.AsyncClient | None = None,
        access: AccessControl | None = None,
        limits: InputLimits | None = None,
    ) -> None:
        self.catalog = catalog
        self.transport = transport
        self.sinks = list(sinks)
        self.max_body_bytes = max_body_bytes
        self.settings = GatewaySettings() if settings is None else settings
        # `is None`, not `or`: an empty MemoryStore is falsy (it has a length).
        store = MemoryStore() if store is None else store
        self.access = AccessControl.build(catalog, store, AuthSettings()) if access is None else access
        self.limits = InputLimits() if limits is None else limits
        self.rate_limiter = MemoryRateLimiter() if rate_limiter is None else rate_limiter
        self.in_flight = InFlightLimit(
            self.settings.max_in_flight,
            per_client=self.settings.max_in_flight_per_client,
            retry_after=self.settings.overload_retry_after,
        )
        # Answers written after a call had its effect must survive a store outage: held, then landed.
        answers = WriteBehindStore(store)
        self.settlements = LateSettlements()
        self.idempotency = IdempotencyKeys(
            answers,
            ttl=self.settings.idempotency_ttl,
            poll_seconds=self.settings.idempotency_poll_seconds,
            lease_margin=self.settings.idempotency_lease_margin,
        )
        self.async_calls = AsyncCalls(
            answers,
            ttl=self.settings.transaction_ttl,
            callback_attempts=self.settings.callback_attempts,
            callback_timeout=self.settings.callback_timeout,
            callback_backoff=self.settings.callback_backoff,
            http=callback_http,
            callbacks=CallbackPolicy(self.settings.callback_allowed_networks),
        )
        self._paths: dict[str, tuple[ServiceId, str]] = {}

    async def drain(self) -> int:
        """On shutdown: wait for async calls (up to `drain_seconds`); how many had to be cancelled."""
        cancelled = await self.async_calls.drain(self.settings.drain_seconds)
        await self.settlements.drain(self.settings.drain_seconds)
        return cancelled

    async def __call__(self, service_path: str, request: Request) -> Response:
        """Call a service: `/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION[/path]`."""
        mark_recorded(request.scope)  # this call's record is the router's to write, whatever happens
        headers = header_values(request)
        usable_id = caller_transaction_id(headers)
        facts = CallFacts(transaction_id=usable_id or new_id(), request_in=utc_now(), method=request.method)
        slot: Slot | None = None
        try:
            # First of all, so that a flood is refused before any body is read or any store touched.
            slot = self.in_flight.admit()
            response = await self._serve(facts, service_path, request, headers, slot)
        except BusError as error:
            response = error_response(error, facts.transaction_id)
        except Exception:
            # Whatever the input did, the caller gets the taxonomy's JSON and the call its record.
            log.exception("unexpected failure serving transaction %s", facts.transaction_id)
            response = error_response(
                InternalError("the bus failed to serve this call"), facts.transaction_id
            )
        finally:
            if slot is not None and not facts.handed_off:
                slot.release()
        if not facts.handed_off:
            await self._record(facts, response)
        return response

    async def _record(self, facts: CallFacts, response: Response) -> None:
        record = facts.record(response.status_code, bytes(response.body))
        for sink in self.sinks:
            await sink.record(record)

    async def _serve(
        self, facts: CallFacts, service_path: str, request: Request, headers: Mapping[str, str], slot: Slot
    ) -> Response:
        facts.client = header(headers, CLIENT_HEADER)
        facts.service = service_path[:MAX_HEADER_VALUE]
        check_transaction_id(headers)
        ahead = self._check_ahead(headers, service_path, request.method)
        if ahead is not None:
            # One loop turn, so that the right's read (its task's first step) is queued before the key's:
            # both then leave in one round trip, with those of the calls that arrived alongside.
            await asyncio.sleep(0)
        try:
            client = await self.access.authenticate(headers)
            slot.claim_for(str(client.id))
            service_id, path = self._split(service_path)
            facts.service = str(service_id)
            service = await self.access.authorize(client, service_id, request.method, path, ahead=ahead)
        finally:
            if ahead is not None:
                ahead.discard()
        choice = async_choice(header(headers, PREFER_HEADER), headers.get(CALLBACK_HEADER))
        await self.async_calls.check_callback(choice.callback_url)
        await enforce(self.rate_limiter, quotas_for(client, service))
        facts.body = await read_body(request, headers, self.max_body_bytes)
        check_json_depth(facts.body, self.limits.max_json_depth)
        payload = parse_payload(facts.body, headers.get("content-type"))
        facts.subjects = find_subjects(payload)
        envelope = build_envelope(request, headers, facts.transaction_id, client, service, path, payload)
        facts.envelope = envelope
        key = envelope.idempotency_key
        if key is None:
            return await self._dispatch(facts, envelope, service, slot, choice)
        if not key.strip():
            raise BadRequest("header 'idempotency-key' is empty; send a unique key or leave it out")
        print_ = fingerprint(envelope.method, envelope.path, envelope.query, facts.body)
        store_key = self.idempotency.store_key(str(client.id), str(service.id), key)
        # The first call is given its reply deadline plus a second to store the answer.
        wait = service.timeout + REPLY_GRACE_SECONDS + 1
        first = await self.idempotency.begin(
            store_key,
            key,
            print_,
            owner=envelope.message_id,
            transaction_id=facts.transaction_id,
            seconds=wait,
        )
        if isinstance(first, Response):
            return first
        try:
            response = await self._dispatch(facts, envelope, service, slot, choice)
        except Exception as error:
            # No reply: the key is freed, or kept in flight while the bus still works on the request.
            # A store outage leaves the key in flight until it expires (safe), and the caller hears the
            # call's own error, not "unavailable" (which would mean "not done").
            with contextlib.suppress(BusUnavailable):
                await self.idempotency.failed(first, error, service)
            if isinstance(error, BusTimeout):
                raise BusTimeout(f"{error.message}; {STILL_WORKING}") from error
            raise
        # The call had its effect: its answer is the caller's even if the store is out right now.
        what = f"{facts.transaction_id} (Idempotency-Key {key!r})"
        if choice.respond_async:  # the 202 is the answer asked for; its transaction tells the rest
            await self.settlements.settle(lambda: self.idempotency.complete(first, response), what)
        elif facts.handed_off:  # 202 for a publish followed late: the worker's outcome is the key's
            await self.settlements.settle(lambda: self.idempotency.followed_late(first, service), what)
        elif facts.reply is not None:
            reply = facts.reply
            answered = self.idempotency.answered
            await self.settlements.settle(lambda: answered(first, reply, service, facts.transaction_id), what)
        return response

    def _check_ahead(self, headers: Mapping[str, str], service_path: str, method: str) -> RightsCheck | None:
        """The right checked while the caller is authenticated, when the access control reads ahead (its
        store read shares the key's round trip); a malformed path is refused later, in its turn."""
        try:
            service_id, path = self._split(service_path)
        except BadRequest:
            return None
        return self.access.check_ahead(headers, service_id, method, path)

    def _split(self, service_path: str) -> tuple[ServiceId, str]:
        found = self._paths.get(service_path)
        if found is None:
            try:
                found = split_service_path(service_path)
            except IdentifierError as exc:
                raise BadRequest(str(exc)) from exc
            if len(self._paths) >= PATH_MEMO_SIZE:
                self._paths.clear()
            self._paths[service_path] = found
        return found

    async def _dispatch(
        self, facts: CallFacts, envelope: Envelope, service: ServiceSpec, slot: Slot, choice: AsyncChoice
    ) -> Response:
        if not choice.respond_async:
            try:
                return await self._call(facts, envelope, service)
            except PublishUnconfirmed as late:
                # It may still be delivered: not a time-out but 202, its outcome stored at Location.
                facts.late_outcome = late.outcome
        accepted_at = utc_now()
        # Past this, with no record of the work, its Location says "outcome unknown" (durable_outcome.py).
        horizon = work_horizon(service) + self.settings.idempotency_lease_margin
        state = TransactionState(
            transaction_id=facts.transaction_id,
            client=str(envelope.client),
            service=str(envelope.service),
            state="pending",
            accepted_at=accepted_at,
            message_id=envelope.message_id,
            resolve_by=accepted_at + timedelta(seconds=horizon),
        )
        if facts.late_outcome is None:
            await self.async_calls.accept(state)
        else:
            await self.async_calls.accept_late(state)

        async def finish() -> tuple[int, JsonValue, ErrorBody | None]:
            return await self._finish_in_background(facts, envelope, service, slot)

        facts.handed_off = True
        self.async_calls.run(state, finish, choice.callback_url)
        return JSONResponse(
            state.model_dump(mode="json"),
            status_code=202,
            headers={
                TRANSACTION_HEADER: facts.transaction_id,
                "location": f"/transactions/{facts.transaction_id}",
                **({"preference-applied": "respond-async"} if choice.respond_async else {}),
            },
        )

    async def _finish_in_background(
        self, facts: CallFacts, envelope: Envelope, service: ServiceSpec, slot: Slot
    ) -> tuple[int, JsonValue, ErrorBody | None]:
        try:
            try:
                response = await self._call(facts, envelope, service)
            except BusError as error:
                response = error_response(error, facts.transaction_id)
            await self._record(facts, response)
        finally:
            slot.release()
        body: JsonValue = json.loads(bytes(response.body)) if response.body else None
        if response.status_code >= 400:
            return response.status_code, None, ErrorBody.model_validate(body)
        return response.status_code, body, None

    async def _call(self, facts: CallFacts, envelope: Envelope, service: ServiceSpec) -> Response:
        late, facts.late_outcome = facts.late_outcome, None
        if late is not None:
            answer = await late
        else:
            facts.request_out = utc_now()
            try:
                answer = await self.transport.request(
                    service.id.queue_name,
                    envelope_message(envelope),
                    timeout=service.timeout + REPLY_GRACE_SECONDS,
                )
            except DuplicateRequest:
                # The transport names the bus's id (scoped to the client); the caller knows its own.
                message = f"a call with transaction id {facts.transaction_id!r} is still being served"
                raise DuplicateRequest(message) from None
            except PublishUnconfirmed as unconfirmed:
                if not facts.handed_off:
                    raise
                answer = await unconfirmed.outcome  # already in the background: follow it to its end
        facts.response_in = utc_now()
        try:
            reply = decode_reply(answer)
        except ValidationError as exc:
            log.error("malformed reply for %s: %s", facts.transaction_id, exc)
            raise InternalError("the worker's reply could not be read") from exc
        facts.worker = reply.worker
        facts.reply = reply
        return Response(
            reply_body(reply, facts.transaction_id),
            status_code=reply.status,
            media_type=JSON,
            headers=reply_headers(reply, facts.transaction_id),
        )
