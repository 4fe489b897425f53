"""Client and service ids: their text, worked out once per id, and what reading it leaves unchanged."""

from __future__ import annotations

from bus.identifiers import ClientId, ServiceId

SERVICE = "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1"


def test_a_service_id_reads_as_its_text_in_every_form() -> None:
    service = ServiceId.parse(SERVICE)
    assert service.text == str(service) == SERVICE
    assert service.model_dump() == SERVICE
    assert service.model_dump_json() == f'"{SERVICE}"'
    assert service.queue_name == "lgsp.svc.VN.GOV.BCA.CSDLDC.XacMinhThongTinNhanThan.v1"
    assert str(service.provider) == "VN/GOV/BCA/CSDLDC"


def test_a_client_id_reads_as_its_text_in_every_form() -> None:
    client = ClientId.parse("/VN/GOV/HPG/STP/")
    assert client.text == str(client) == "VN/GOV/HPG/STP"
    assert client.model_dump_json() == '"VN/GOV/HPG/STP"'


def test_an_id_whose_text_was_read_equals_and_hashes_as_a_fresh_one() -> None:
    read, fresh = ServiceId.parse(SERVICE), ServiceId.parse(SERVICE)
    assert str(read) and read.queue_name
    assert read == fresh and fresh == read
    assert hash(read) == hash(fresh)
    assert {fresh: "found"}[read] == "found"
    assert read != ServiceId.parse("VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v2")


def test_an_id_round_trips_through_its_text() -> None:
    service = ServiceId.parse(SERVICE)
    assert ServiceId.model_validate(service.model_dump()) == service
    assert ServiceId.model_validate_json(service.model_dump_json()).text == SERVICE


def test_a_copy_with_other_fields_has_their_text_and_queue_name() -> None:
    service = ServiceId.parse("VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1")
    assert service.queue_name.endswith(".v1")  # worked out for the original first
    copied = service.model_copy(update={"version": "v2"})
    assert str(copied) == "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v2"
    assert copied.queue_name == "lgsp.svc.VN.GOV.BCA.CSDLDC.XacMinhThongTinNhanThan.v2"
    assert copied == ServiceId.parse("VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v2")
    assert str(service) == "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1"
