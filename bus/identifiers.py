"""X-Road style identifiers: a client subsystem and a service.

    client   INSTANCE/CLASS/MEMBER/SUBSYSTEM               VN/GOV/HPG/STP
    service  INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VER   VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1

Both parse from and serialise to their slash-separated text, so on the wire they are plain strings.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, ClassVar, Self

from pydantic import ConfigDict, model_serializer, model_validator

from bus.derived_once import DerivedOnce

_INSTANCE = re.compile(r"^[A-Z][A-Z0-9-]{0,15}$")
_MEMBER_CLASS = re.compile(r"^[A-Z]{2,10}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VERSION = re.compile(r"^v[0-9]+(\.[0-9]+)?$")


class IdentifierError(ValueError):
    """A client or service id that does not parse; the message names the part that is wrong."""


SHOWN_CHARS = 64


def _shown(text: str) -> str:
    """Caller input as an error message may quote it: a short prefix, never an 8 kB URL."""
    return repr(text) if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]!r}… ({len(text)} characters)"


def _check(part: str, value: str, pattern: re.Pattern[str], rule: str, kind: str, text: str) -> None:
    if not pattern.match(value):
        raise IdentifierError(f"{kind} id {_shown(text)}: {part} {_shown(value)} is invalid ({rule})")


def _split(text: str, kind: str, expected: int, shape: str) -> list[str]:
    if not isinstance(text, str):
        raise IdentifierError(f"{kind} id must be text like {shape!r}, got {type(text).__name__}")
    parts = text.strip("/").split("/")
    if len(parts) != expected:
        raise IdentifierError(
            f"{kind} id {_shown(text)} has {len(parts)} part(s); expected {expected}: {shape}"
        )
    return parts


class _SlashId(DerivedOnce):
    """Shared behaviour: frozen, hashable, parsed from and dumped as slash-separated text, which is
    worked out once per id (a copy with other field values works it out again)."""

    model_config = ConfigDict(frozen=True)
    _kind: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return cls._fields_from_text(value)
        return value

    @classmethod
    def _fields_from_text(cls, text: str) -> dict[str, str]:
        raise NotImplementedError

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse the slash-separated form; raises IdentifierError naming the faulty part."""
        return cls.model_validate(cls._fields_from_text(text))

    @model_serializer
    def _to_text(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The slash-separated form (each id class works it out once per id: `cached_property`)."""
        raise NotImplementedError


class ClientId(_SlashId):
    """A calling subsystem: `VN/GOV/HPG/STP`."""

    instance: str
    member_class: str
    member_code: str
    subsystem: str

    @classmethod
    def _fields_from_text(cls, text: str) -> dict[str, str]:
        shape = "INSTANCE/CLASS/MEMBER/SUBSYSTEM"
        instance, member_class, member, subsystem = _split(text, "client", 4, shape)
        _check_member(text, "client", instance, member_class, member, subsystem)
        return {
            "instance": instance,
            "member_class": member_class,
            "member_code": member,
            "subsystem": subsystem,
        }

    @cached_property
    def text(self) -> str:
        """The slash-separated form: `VN/GOV/HPG/STP`."""
        return f"{self.instance}/{self.member_class}/{self.member_code}/{self.subsystem}"


class ServiceId(_SlashId):
    """A service of a provider subsystem: `VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1`."""

    instance: str
    member_class: str
    member_code: str
    subsystem: str
    service_code: str
    version: str

    @classmethod
    def _fields_from_text(cls, text: str) -> dict[str, str]:
        shape = "INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION"
        instance, member_class, member, subsystem, code, version = _split(text, "service", 6, shape)
        _check_member(text, "service", instance, member_class, member, subsystem)
        _check("service code", code, _CODE, "letters, digits, '_', '.', '-'", "service", text)
        _check("version", version, _VERSION, "like 'v1' or 'v2.1'", "service", text)
        return {
            "instance": instance,
            "member_class": member_class,
            "member_code": member,
            "subsystem": subsystem,
            "service_code": code,
            "version": version,
        }

    @property
    def provider(self) -> ClientId:
        """The subsystem that provides this service."""
        return ClientId(
            instance=self.instance,
            member_class=self.member_class,
            member_code=self.member_code,
            subsystem=self.subsystem,
        )

    @cached_property
    def queue_name(self) -> str:
        """The bus queue that carries requests for this service."""
        return "lgsp.svc." + self.text.replace("/", ".")

    @cached_property
    def text(self) -> str:
        """The slash-separated form: `VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1`."""
        return (
            f"{self.instance}/{self.member_class}/{self.member_code}/{self.subsystem}"
            f"/{self.service_code}/{self.version}"
        )


def _check_member(text: str, kind: str, instance: str, member_class: str, member: str, sub: str) -> None:
    _check("instance", instance, _INSTANCE, "upper-case letters/digits, e.g. 'VN'", kind, text)
    _check("member class", member_class, _MEMBER_CLASS, "2-10 upper-case letters, e.g. 'GOV'", kind, text)
    _check("member code", member, _CODE, "letters, digits, '_', '.', '-'", kind, text)
    _check("subsystem", sub, _CODE, "letters, digits, '_', '.', '-'", kind, text)


def split_service_path(path: str) -> tuple[ServiceId, str]:
    """Split `/r1/` routing text into the service id (six parts) and the REST sub-path after it."""
    parts = path.strip("/").split("/")
    if len(parts) < 6:
        ServiceId.parse(path)  # raises with the precise reason
    service = ServiceId.parse("/".join(parts[:6]))
    return service, "/".join(parts[6:])
