"""Population adapter against a scripted SOAP provider: wire format out, canonical answers back."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from lxml import etree

from adapters.population import PopulationAdapter, PopulationConfig, create_adapter
from adapters.sdk import SOAP_ENV_NS
from bus.adapter import ManagedAdapter
from bus.envelope import Envelope
from bus.errors import BadRequest, BadResponse, ProviderRejected, UnknownService

VERIFY_SERVICE = "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"
LOOKUP_SERVICE = "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1"
MIC = "http://www.mic.gov.vn/dancu/1.0"
BCA = "http://dancuquocgia.bca"

RECORD = """
<CongDan>
  <SoDinhDanh>031095001234</SoDinhDanh><SoCMND>031456789</SoCMND>
  <HoVaTen><Ho>Nguyễn</Ho><ChuDem>Thị Ánh</ChuDem><Ten>Tuyết</Ten></HoVaTen>
  <GioiTinh>2</GioiTinh><DanToc>01</DanToc><TonGiao>00</TonGiao><TinhTrangHonNhan>2</TinhTrangHonNhan>
  <NhomMau>O</NhomMau>
  <NgayThangNamSinh><Nam>1995</Nam><NgayThangNam>19950317</NgayThangNam></NgayThangNamSinh>
  <NoiDangKyKhaiSinh><MaTinhThanh>31</MaTinhThanh><MaQuanHuyen>303</MaQuanHuyen>
    <MaPhuongXa>11311</MaPhuongXa><ChiTiet>Phường Cầu Đất, Quận Ngô Quyền</ChiTiet><QuocGia>VN</QuocGia>
  </NoiDangKyKhaiSinh>
  <ThuongTru><MaTinhThanh>31</MaTinhThanh><ChiTiet>Số 5 Lạch Tray</ChiTiet></ThuongTru>
  <Cha><HoVaTen>Nguyễn Văn Đức</HoVaTen><QuocTich>VN</QuocTich><SoDinhDanh>031065009999</SoDinhDanh></Cha>
  <Me><HoVaTen>Phạm Thị Hoà</HoVaTen><QuocTich>VN</QuocTich></Me>
  <ChuHo><QuanHe>CH04</QuanHe><SoDinhDanh>031065009999</SoDinhDanh><HoVaTen>Nguyễn Văn Đức</HoVaTen></ChuHo>
  <SoSoHoKhau>HP-0042</SoSoHoKhau>
</CongDan>"""


def _soap(inner: str) -> bytes:
    return f'<s:Envelope xmlns:s="{SOAP_ENV_NS}"><s:Body>{inner}</s:Body></s:Envelope>'.encode()


def _verdict(value: str) -> bytes:
    return _soap(f"<KetQuaXacThucResponse><TonTai>{value}</TonTai></KetQuaXacThucResponse>")


def _collection(*records: str) -> bytes:
    return _soap(f'<CongdanCollection xmlns="{MIC}">{"".join(records)}</CongdanCollection>')


class ScriptedProvider:
    """Answers every call with `answer` and keeps what it was sent."""

    def __init__(self, answer: bytes, status: int = 200) -> None:
        self.answer, self.status = answer, status
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        return httpx.Response(self.status, content=self.answer, headers={"Content-Type": "text/xml"})

    @staticmethod
    def code_of(call: httpx.Request) -> str | None:
        operation = etree.fromstring(call.content).find(f"{{{SOAP_ENV_NS}}}Body")[0]
        return next(child.text for child in operation if etree.QName(child).localname == "MaYeuCau")

    def sent_operation(self) -> tuple[str, dict[str, str | None]]:
        operation = etree.fromstring(self.calls[-1].content).find(f"{{{SOAP_ENV_NS}}}Body")[0]
        return operation.tag, {etree.QName(child).localname: child.text for child in operation}


def _adapter(provider: Callable[[httpx.Request], httpx.Response]) -> PopulationAdapter:
    return PopulationAdapter(PopulationConfig(), transport=httpx.MockTransport(provider))


def _envelope(service: str, payload: object, user_id: str | None = "CB-HP-001") -> Envelope:
    return Envelope(client="VN/GOV/HPG/STP", service=service, payload=payload, user_id=user_id).with_deadline(
        5
    )


async def test_verify_sends_bca_soap_request_and_answers_exists() -> None:
    provider = ScriptedProvider(
        _soap(f'<KetQuaXacThucResponse xmlns="{BCA}"><TonTai>true</TonTai></KetQuaXacThucResponse>')
    )
    envelope = _envelope(VERIFY_SERVICE, {"id_number": "031095001234", "full_name": "Nguyễn Thị Ánh Tuyết"})
    answer = await _adapter(provider).handle(envelope)
    assert answer == {"exists": True, "outcome": None, "provider_message": None}
    tag, fields = provider.sent_operation()
    assert tag == f"{{{BCA}}}XacThucThongTinCongDanRequest"
    assert fields == {
        "MaYeuCau": envelope.correlation_id,
        "MaCanBo": "CB-HP-001",
        "SoDinhDanh": "031095001234",
        "HoVaTen": "Nguyễn Thị Ánh Tuyết",
    }


async def test_verify_of_unknown_citizen_is_a_clean_false() -> None:
    provider = ScriptedProvider(_verdict("false"))
    payload = {"id_number": "031095000000", "officer_code": "CB-9", "request_code": "YC-1"}
    answer = await _adapter(provider).handle(_envelope(VERIFY_SERVICE, payload, user_id=None))
    assert answer == {"exists": False, "outcome": None, "provider_message": None}
    assert provider.sent_operation()[1]["MaCanBo"] == "CB-9"
    assert provider.sent_operation()[1]["MaYeuCau"] == "YC-1"


async def test_lookup_maps_congdan_record_to_canonical_citizen_with_diacritics() -> None:
    provider = ScriptedProvider(_collection(RECORD))
    payload = {"id_number": "031095001234", "birth_date": "1995-03-17", "unit_code": "STP-HP"}
    answer = await _adapter(provider).handle(_envelope(LOOKUP_SERVICE, payload))
    tag, fields = provider.sent_operation()
    assert tag == f"{{{MIC}}}XacMinhThongTinNhanThanRequest"
    assert fields["NgayThangNamSinh"] == "19950317"
    assert fields["MaDonVi"] == "STP-HP"
    assert isinstance(answer, dict) and answer["found"] is True
    citizen = answer["citizen"]
    assert isinstance(citizen, dict)
    assert citizen["name"] == {
        "family_name": "Nguyễn",
        "middle_name": "Thị Ánh",
        "given_name": "Tuyết",
        "full_name": "Nguyễn Thị Ánh Tuyết",
    }
    assert (citizen["sex"], citizen["birth_date"], citizen["birth_year"]) == ("female", "1995-03-17", 1995)
    assert citizen["birth_registration_place"] == {
        "province_code": "31",
        "district_code": "303",
        "ward_code": "11311",
        "detail": "Phường Cầu Đất, Quận Ngô Quyền",
        "country": "VN",
    }
    assert citizen["father"] == {
        "full_name": "Nguyễn Văn Đức",
        "nationality": "VN",
        "id_number": "031065009999",
        "old_id_number": None,
    }
    assert citizen["spouse"] is None
    assert citizen["household"] == {
        "relation_code": "CH04",
        "head_id_number": "031065009999",
        "head_old_id_number": None,
        "head_full_name": "Nguyễn Văn Đức",
        "book_number": "HP-0042",
    }


async def test_lookup_with_empty_collection_is_a_clean_not_found() -> None:
    answer = await _adapter(ScriptedProvider(_collection())).handle(
        _envelope(LOOKUP_SERVICE, {"id_number": "031095000000"})
    )
    assert answer == {"found": False, "citizen": None, "outcome": None, "provider_message": None}


@pytest.mark.parametrize(
    ("code", "value", "outcome"),
    [("00", "true", "match"), ("01", "false", "not_found"), ("02", "false", "data_mismatch")],
)
async def test_result_code_becomes_the_outcome_with_the_provider_message(
    code: str, value: str, outcome: str
) -> None:
    answer_xml = _soap(
        f"<KetQuaXacThucResponse><TonTai>{value}</TonTai><MaKetQua>{code}</MaKetQua>"
        "<MoTaKetQua>Sai lệch thông tin: HoVaTen</MoTaKetQua></KetQuaXacThucResponse>"
    )
    answer = await _adapter(ScriptedProvider(answer_xml)).handle(
        _envelope(VERIFY_SERVICE, {"id_number": "031095001234"})
    )
    assert answer == {
        "exists": value == "true",
        "outcome": outcome,
        "provider_message": "Sai lệch thông tin: HoVaTen",
    }


@pytest.mark.parametrize(
    ("value", "code", "problem"),
    [
        ("false", "07", "unknown result code"),
        ("true", "01", "contradicting"),
        ("false", "00", "contradicting"),
    ],
)
async def test_unknown_or_contradictory_result_code_is_bad_response(
    value: str, code: str, problem: str
) -> None:
    answer_xml = _soap(f"<KetQua><TonTai>{value}</TonTai><MaKetQua>{code}</MaKetQua></KetQua>")
    with pytest.raises(BadResponse, match=problem):
        await _adapter(ScriptedProvider(answer_xml)).handle(
            _envelope(VERIFY_SERVICE, {"id_number": "031095001234"})
        )


async def test_lookup_answering_someone_else_is_bad_response() -> None:
    other = RECORD.replace("031095001234", "031095004321")
    with pytest.raises(BadResponse, match="0 of them for the id asked"):
        await _adapter(ScriptedProvider(_collection(other))).handle(
            _envelope(LOOKUP_SERVICE, {"id_number": "031095001234"})
        )


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (RECORD.replace("19950317", "17/03/1995"), "NgayThangNamSinh.NgayThangNam"),
        (RECORD.replace("<GioiTinh>2</GioiTinh>", "<GioiTinh>X</GioiTinh>"), "GioiTinh"),
        (RECORD.replace("<SoDinhDanh>031095001234</SoDinhDanh>", ""), "SoDinhDanh"),
    ],
)
async def test_record_that_does_not_fit_the_wire_format_is_bad_response(broken: str, field: str) -> None:
    with pytest.raises(BadResponse, match=f"field '{field}'"):
        await _adapter(ScriptedProvider(_collection(broken))).handle(
            _envelope(LOOKUP_SERVICE, {"id_number": "031095001234"})
        )


async def test_verify_answer_without_tontai_is_bad_response() -> None:
    with pytest.raises(BadResponse, match="TonTai"):
        await _adapter(ScriptedProvider(_soap("<KetQua><Khac>1</Khac></KetQua>"))).handle(
            _envelope(VERIFY_SERVICE, {"id_number": "031095001234"})
        )


async def test_soap_client_fault_is_provider_rejected_with_its_message() -> None:
    fault = "<s:Fault><faultcode>s:Client</faultcode><faultstring>Sai mã cán bộ</faultstring></s:Fault>"
    with pytest.raises(ProviderRejected, match="Sai mã cán bộ"):
        await _adapter(ScriptedProvider(_soap(fault), status=500)).handle(
            _envelope(VERIFY_SERVICE, {"id_number": "031095001234"})
        )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id_number": "0310950012"}, "id_number"),
        ({"id_number": "031095001234", "old_id_number": "12"}, "old_id_number"),
        ({"id_number": "031095001234", "birth_date": "17/03/1995"}, "birth_date"),
        ({"id_number": "031095001234", "nickname": "x"}, "nickname"),
    ],
)
async def test_invalid_payload_is_bad_request_naming_the_field_and_calls_nobody(
    payload: object, field: str
) -> None:
    provider = ScriptedProvider(_collection())
    with pytest.raises(BadRequest, match=f"field '{field}'"):
        await _adapter(provider).handle(_envelope(LOOKUP_SERVICE, payload))
    assert provider.calls == []


async def test_missing_officer_is_bad_request_and_calls_nobody() -> None:
    provider = ScriptedProvider(_collection())
    with pytest.raises(BadRequest, match="officer_code"):
        await _adapter(provider).handle(
            _envelope(LOOKUP_SERVICE, {"id_number": "031095001234"}, user_id=None)
        )
    assert provider.calls == []


async def test_service_it_does_not_serve_is_unknown_service() -> None:
    with pytest.raises(UnknownService, match="XacThucThongTinCongDan/v1"):
        await _adapter(ScriptedProvider(b"")).handle(
            _envelope("VN/GOV/BCA/CSDLDC/CapSoDinhDanh/v1", {"id_number": "031095001234"})
        )


def test_factory_applies_defaults_and_refuses_bad_config_naming_the_key() -> None:
    adapter = create_adapter({})
    assert (adapter.config.base_url, adapter.config.timeout_cap) == ("http://127.0.0.1:8101", 10.0)
    assert create_adapter({"base_url": "http://mock:9000", "timeout_cap": 2}).config.timeout_cap == 2.0
    with pytest.raises(ValueError, match="field 'timeout_cap'"):
        create_adapter({"timeout_cap": -1})
    with pytest.raises(ValueError, match="field 'base_ur'"):
        create_adapter({"base_ur": "http://x"})


def test_every_service_publishes_json_schemas() -> None:
    schemas = PopulationAdapter.services.json_schemas()
    assert set(schemas) == {"XacThucThongTinCongDan/v1", "XacMinhThongTinNhanThan/v1", "BienDongKhaiTu/v1"}
    assert "deaths" in schemas["BienDongKhaiTu/v1"]["response"]["properties"]
    assert "exists" in schemas["XacThucThongTinCongDan/v1"]["response"]["properties"]
    assert schemas["XacMinhThongTinNhanThan/v1"]["request"]["required"] == ["id_number"]


async def test_redelivered_request_carries_the_same_request_code_as_the_first_attempt() -> None:
    provider = ScriptedProvider(_verdict("true"))
    adapter = _adapter(provider)
    first = _envelope(VERIFY_SERVICE, {"id_number": "031095001234"})
    await adapter.handle(first)
    await adapter.handle(first.model_copy(update={"attempt": 2, "message_id": "retried-message"}))
    codes = [ScriptedProvider.code_of(call) for call in provider.calls]
    assert codes == [first.correlation_id, first.correlation_id]


def test_factory_builds_a_managed_adapter() -> None:
    assert isinstance(create_adapter({}), ManagedAdapter)
