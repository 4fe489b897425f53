"""Checks of the adapter's ordinary behaviour: every service answers, ids travel, effects happen once,
large and Vietnamese payloads survive, and no secret reaches a log line."""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any

from lxml import etree
from pydantic import JsonValue, ValidationError

from adapters.conformance.context import CheckContext, strings_in
from adapters.conformance.profile import Sample
from adapters.conformance.provider import RecordedCall
from adapters.conformance.report import CheckResult
from adapters.sdk import REQUEST_ID_HEADER
from bus.errors import ClientError, ProviderRejected

LARGE_TEXT_BYTES = 256 * 1024
_VIETNAMESE = "Nguyễn Thị Ánh Dương, phường Lạch Tray, quận Ngô Quyền, thành phố Hải Phòng. "
# What UTF-8 read as Latin-1 (or a lossy decode) leaves behind.
_MOJIBAKE = ("\ufffd", "Ã", "Æ°", "á»", "Ä‘")


async def check_every_service(ctx: CheckContext) -> CheckResult:
    """Every declared service has a sample, and every sample gets an answer."""
    name = "answers_every_service"
    if not ctx.profile.samples:
        return CheckResult(name=name, status="fail", detail="no sample requests declared")
    problems: list[str] = []
    for spec in ctx.declared_specs():
        if not any(ctx.spec_for(sample) is spec for sample in ctx.profile.samples):
            problems.append(f"{spec.key}: no sample request")
    for sample in ctx.profile.samples:
        outcome = await ctx.call(ctx.envelope(sample))
        if outcome.error is not None or outcome.abandoned:
            problems.append(f"{sample.service}: {outcome.describe()}")
    served = len(ctx.profile.samples)
    if problems:
        return CheckResult(name=name, status="fail", detail="; ".join(problems))
    return CheckResult(name=name, status="pass", detail=f"{served} sample(s) answered")


async def check_correlation(ctx: CheckContext) -> CheckResult:
    """Every provider call carries the transaction id (X-Request-Id) and the envelope's trace id."""
    name = "echoes_correlation_ids"
    if ctx.provider is None:
        return CheckResult(name=name, status="not_applicable", detail="the adapter calls no provider")
    if ctx.first_sample is None:
        return CheckResult(name=name, status="fail", detail="no sample request declared")
    envelope = ctx.envelope(ctx.first_sample)
    outcome = await ctx.call(envelope)
    calls = list(ctx.provider.calls)
    if not calls:
        return CheckResult(
            name=name, status="fail", detail=f"the provider saw no call ({outcome.describe()})"
        )
    problems = []
    for call in calls:
        request_id = call.headers.get(REQUEST_ID_HEADER.lower())
        if request_id != envelope.correlation_id:
            problems.append(f"{call.path}: {REQUEST_ID_HEADER} {request_id!r} ≠ {envelope.correlation_id}")
        parent = call.headers.get("traceparent", "")
        trace_id = parent.split("-")[1] if parent.count("-") == 3 else None
        if trace_id != envelope.trace.trace_id:
            problems.append(f"{call.path}: traceparent {parent!r} is not in trace {envelope.trace.trace_id}")
    if problems:
        return CheckResult(name=name, status="fail", detail="; ".join(problems))
    return CheckResult(name=name, status="pass", detail=f"{len(calls)} call(s) carried both ids")


async def check_idempotent(ctx: CheckContext) -> CheckResult:
    """The same envelope twice: one effect at the provider (its /_control/effects), the same answer."""
    name = "idempotent_under_redelivery"
    if ctx.first_sample is None:
        return CheckResult(name=name, status="fail", detail="no sample request declared")
    envelope = ctx.envelope(ctx.first_sample)
    before = await ctx.provider.effects() if ctx.provider else None
    first = await ctx.call(envelope)
    after_first = await ctx.provider.effects() if ctx.provider else None
    second = await ctx.call(envelope)  # a duplicate delivery: the very same envelope
    after_second = await ctx.provider.effects() if ctx.provider else None
    for delivery, outcome in (("the first delivery", first), ("the redelivery", second)):
        if outcome.abandoned:
            # Two calls that both never answered are not "the same answer".
            detail = f"{delivery} {outcome.describe()}; a call that never answers is not idempotent"
            return CheckResult(name=name, status="fail", detail=detail)
    if first.error is not None or second.error is not None:
        said = (first.describe(), second.describe())
        detail = f"both deliveries: {said[0]}" if said[0] == said[1] else f"{said[0]}; then {said[1]}"
        return CheckResult(name=name, status="fail", detail=detail)
    if before is not None and after_first is not None and after_second is not None:
        effects = (after_first - before, after_second - after_first)
        if effects[1] != 0:
            return CheckResult(
                name=name,
                status="fail",
                detail=f"effects: first delivery {effects[0]:g}, redelivery {effects[1]:g}",
            )
    if first.answer != second.answer:
        return CheckResult(name=name, status="fail", detail="the redelivery got a different answer")
    how = "one effect, same answer" if before is not None else "same answer (provider counts no effects)"
    return CheckResult(name=name, status="pass", detail=how)


def _inflate(ctx: CheckContext, sample: Sample) -> tuple[JsonValue, int]:
    """The sample with each free-text field as long as the request model allows (up to 256 KiB)."""
    spec = ctx.spec_for(sample)
    payload: Any = json.loads(json.dumps(sample.payload))
    added = 0

    def fits(candidate: Any) -> bool:
        if spec is None:
            return True
        try:
            spec.request_model.model_validate(candidate)
        except ValidationError:
            return False
        return True

    def walk(node: Any) -> None:
        nonlocal added
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, value in items:
            if isinstance(value, dict | list):
                walk(value)
            elif isinstance(value, str):
                for size in (LARGE_TEXT_BYTES, 4096, 255, 150):
                    long_text = (_VIETNAMESE * (size // len(_VIETNAMESE) + 1))[:size].strip()
                    node[key] = long_text
                    if fits(payload):
                        added += len(long_text.encode()) - len(value.encode())
                        break
                    node[key] = value

    if isinstance(payload, dict | list):
        walk(payload)
    return payload, added


async def check_large_payload(ctx: CheckContext) -> CheckResult:
    """A payload with every text field at its longest: answered (or cleanly refused), nothing truncated."""
    name = "large_payload"
    sample = ctx.profile.large_sample or ctx.first_sample
    if sample is None:
        return CheckResult(name=name, status="fail", detail="no sample request declared")
    payload, added = (sample.payload, 0) if ctx.profile.large_sample else _inflate(ctx, sample)
    size = len(json.dumps(payload, ensure_ascii=False).encode())
    outcome = await ctx.call(ctx.envelope(sample, payload=payload))
    if outcome.abandoned or (
        outcome.error is not None and not isinstance(outcome.error, ClientError | ProviderRejected)
    ):
        return CheckResult(name=name, status="fail", detail=f"{size} bytes: {outcome.describe()}")
    if ctx.provider is not None and added:
        received = max((len(call.body) for call in ctx.provider.calls), default=0)
        if received < added // 2:
            return CheckResult(
                name=name, status="fail", detail=f"{size} bytes sent, the provider received only {received}"
            )
    return CheckResult(name=name, status="pass", detail=f"{size} bytes: {outcome.describe()}")


def _received_strings(call: RecordedCall) -> list[str]:
    """The texts in a provider call's body: JSON strings, XML text, or the body decoded as UTF-8."""
    try:
        return list(strings_in(json.loads(call.body)))
    except ValueError:
        pass
    try:
        root = etree.fromstring(call.body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        return [text.strip() for text in root.itertext() if text.strip()]
    except etree.XMLSyntaxError:
        return [call.body.decode("utf-8", errors="replace")]


async def check_vietnamese(ctx: CheckContext) -> CheckResult:
    """Vietnamese text reaches the provider unchanged (NFC, every diacritic); answers hold no mojibake."""
    name = "vietnamese_text"
    with_text = [s for s in ctx.profile.samples if any(not t.isascii() for t in strings_in(s.payload))]
    sample = with_text[0] if with_text else ctx.first_sample
    if sample is None:
        return CheckResult(name=name, status="fail", detail="no sample request declared")
    texts = [unicodedata.normalize("NFC", t) for t in strings_in(sample.payload) if not t.isascii()]
    if not texts:
        return CheckResult(name=name, status="not_applicable", detail="no sample carries Vietnamese text")
    outcome = await ctx.call(ctx.envelope(sample))
    if outcome.error is not None or outcome.abandoned:
        return CheckResult(name=name, status="fail", detail=outcome.describe())
    if ctx.provider is not None:
        seen = " ".join(text for call in ctx.provider.calls for text in _received_strings(call))
        where = "the provider"
    else:
        seen = " ".join(strings_in(outcome.answer))
        where = "the answer"
    missing = [text for text in texts if text not in seen]
    if missing:
        return CheckResult(name=name, status="fail", detail=f"{where} did not get {missing[0]!r} unchanged")
    garbled = [text for text in strings_in(outcome.answer) if any(mark in text for mark in _MOJIBAKE)]
    if garbled:
        return CheckResult(name=name, status="fail", detail=f"the answer holds mojibake: {garbled[0][:60]!r}")
    return CheckResult(name=name, status="pass", detail=f"{len(texts)} Vietnamese text(s) kept")


def check_answers_are_json(ctx: CheckContext) -> CheckResult:
    """Every answer of the run went through the worker's own serialisation unchanged."""
    name = "answers_are_json"
    if ctx.not_json:
        shown = "; ".join(dict.fromkeys(ctx.not_json))  # one line per distinct flaw
        return CheckResult(name=name, status="fail", detail=shown)
    if not ctx.answers:
        return CheckResult(name=name, status="not_applicable", detail="the adapter answered no call")
    detail = f"{ctx.answers} answer(s) sent and received as the worker and gateway do"
    return CheckResult(name=name, status="pass", detail=detail)


class LogCapture(logging.Handler):
    """Every log record of the run, formatted, to be searched for secrets."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append((record.name, self.format(record)))
        except Exception:  # a record that cannot be formatted cannot leak either
            self.handleError(record)


def check_no_credentials(ctx: CheckContext, capture: LogCapture) -> CheckResult:
    """No configured secret appears in any log line (DEBUG included) or error message of the run."""
    name = "no_credentials_in_logs"
    if not ctx.profile.secrets:
        return CheckResult(name=name, status="not_applicable", detail="the profile declares no secrets")
    leaks = sorted(
        {logger for logger, line in capture.lines for secret in ctx.profile.secrets if secret in line}
        | {"error message" for text in ctx.error_messages for secret in ctx.profile.secrets if secret in text}
    )
    if leaks:
        return CheckResult(name=name, status="fail", detail=f"a secret appears in: {', '.join(leaks)}")
    detail = f"{len(capture.lines)} log line(s) searched for {len(ctx.profile.secrets)} secret(s)"
    return CheckResult(name=name, status="pass", detail=detail)
