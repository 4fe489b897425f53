"""Declaring the services an adapter serves, with their canonical request and response models.

An adapter lists `ServiceSpec`s in a `ServiceTable`; the table finds the spec for an envelope's
service, validates the incoming payload (BadRequest naming the field) and the outgoing answer, and
exposes each service's JSON schema for the gateway's catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, JsonValue, ValidationError

from bus.errors import BadRequest, BadResponse, UnknownService
from bus.identifiers import ServiceId

RequestT = TypeVar("RequestT", bound=BaseModel)
ResponseT = TypeVar("ResponseT", bound=BaseModel)

_ERRORS_SHOWN = 5


def describe_validation_error(error: ValidationError) -> str:
    """`field 'a.b': message; …` for the first few problems, so a caller knows what to fix."""
    problems = [
        f"field '{'.'.join(str(part) for part in item['loc']) or '(payload)'}': {item['msg']}"
        for item in error.errors()[:_ERRORS_SHOWN]
    ]
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


@dataclass(frozen=True)
class ServiceSpec(Generic[RequestT, ResponseT]):
    """One service an adapter serves: its code, version and canonical models."""

    service_code: str
    version: str
    request_model: type[RequestT]
    response_model: type[ResponseT]
    summary: str = field(default="")

    @property
    def key(self) -> str:
        """`SERVICE/VERSION`, the spec's name in its table."""
        return f"{self.service_code}/{self.version}"

    def parse_request(self, payload: JsonValue) -> RequestT:
        """The payload as the canonical request model; BadRequest naming the faulty field."""
        try:
            return self.request_model.model_validate(payload)
        except ValidationError as exc:
            raise BadRequest(f"invalid request for {self.key}: {describe_validation_error(exc)}") from exc

    def dump_response(self, answer: ResponseT | Mapping[str, Any]) -> JsonValue:
        """The answer validated against the response model, as JSON; BadResponse when it does not fit."""
        try:
            model = self.response_model.model_validate(
                answer.model_dump() if isinstance(answer, BaseModel) else answer
            )
        except ValidationError as exc:
            raise BadResponse(
                f"answer for {self.key} does not fit its canonical model: {describe_validation_error(exc)}"
            ) from exc
        dumped: JsonValue = model.model_dump(mode="json")
        return dumped

    def json_schema(self) -> dict[str, Any]:
        """The JSON schemas of the request and the response."""
        return {
            "service": self.service_code,
            "version": self.version,
            "summary": self.summary,
            "request": self.request_model.model_json_schema(),
            "response": self.response_model.model_json_schema(mode="serialization"),
        }


class ServiceTable:
    """The services one adapter serves, found by an envelope's service code and version."""

    def __init__(self, specs: Iterable[ServiceSpec[Any, Any]]) -> None:
        self._specs: dict[str, ServiceSpec[Any, Any]] = {}
        for spec in specs:
            if spec.key in self._specs:
                raise ValueError(f"service {spec.key} is declared twice")
            self._specs[spec.key] = spec

    def __iter__(self) -> Iterator[ServiceSpec[Any, Any]]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def spec_for(self, service: ServiceId) -> ServiceSpec[Any, Any]:
        """The spec serving `service`; UnknownService when this adapter does not serve it."""
        spec = self._specs.get(f"{service.service_code}/{service.version}")
        if spec is None:
            served = ", ".join(self._specs) or "nothing"
            raise UnknownService(f"this adapter does not serve {service} (it serves {served})")
        return spec

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """Every service's schemas, keyed `SERVICE/VERSION`."""
        return {key: spec.json_schema() for key, spec in self._specs.items()}
