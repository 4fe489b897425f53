"""The population database mock on the wire: SOAP 1.1 envelopes, namespaces and fields of the WSDL."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from lxml import etree

from services.citizens import Citizen, Population, make_id_number
from services.population import create_app

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
BCA = "http://dancuquocgia.bca"
MIC = "http://www.mic.gov.vn/dancu/1.0"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
XS = "http://www.w3.org/2001/XMLSchema"


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=2023, size=100_000)


@pytest.fixture
async def client(population: Population) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(population, latency=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://population.test", timeout=10) as http:
        yield http


def envelope(operation: str, namespace: str, fields: dict[str, str]) -> bytes:
    children = "".join(f"<ns:{name}>{value}</ns:{name}>" for name, value in fields.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:ns="{namespace}">'
        f"<soapenv:Body><ns:{operation}>{children}</ns:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


def verify_body(**fields: str) -> bytes:
    return envelope("XacThucThongTinCongDanRequest", BCA, {"MaYeuCau": "YC1", "MaCanBo": "CB01", **fields})


def lookup_body(**fields: str) -> bytes:
    return envelope("XacMinhThongTinNhanThanRequest", MIC, {"MaYeuCau": "YC2", "MaCanBo": "CB01", **fields})


async def post(client: httpx.AsyncClient, body: bytes, path: str = "/", **headers: str) -> httpx.Response:
    return await client.post(
        path, content=body, headers={"Content-Type": "text/xml; charset=utf-8", **headers}
    )


def content_of(response: httpx.Response) -> Any:
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{SOAP}}}Envelope"
    (body,) = root
    assert body.tag == f"{{{SOAP}}}Body"
    (content,) = body
    return content


def fault_of(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/xml")
    fault = content_of(response)
    assert fault.tag == f"{{{SOAP}}}Fault"
    return fault.findtext("faultcode"), fault.findtext("faultstring")


def someone(population: Population, index: int = 17) -> Citizen:
    citizen = population.citizen(population.id_at(index))
    assert citizen is not None
    return citizen


def unknown_id(population: Population) -> str:
    rng = random.Random(4)
    while True:
        number = make_id_number("031", "F", 1985, rng.randrange(10**6))
        if population.citizen(number) is None:
            return number


async def test_verify_answers_tontai_true_for_a_citizen(
    client: httpx.AsyncClient, population: Population
) -> None:
    citizen = someone(population)
    response = await post(client, verify_body(SoDinhDanh=citizen.id_number, HoVaTen=citizen.full_name))
    assert response.status_code == 200
    answer = content_of(response)
    assert answer.tag == f"{{{BCA}}}KetQuaXacThucResponse"
    assert [child.tag for child in answer] == [f"{{{BCA}}}{n}" for n in ("TonTai", "MaKetQua", "MoTaKetQua")]
    assert answer.findtext(f"{{{BCA}}}TonTai") == "true"
    assert answer.findtext(f"{{{BCA}}}MaKetQua") == "00"


async def test_verify_answers_tontai_false_for_an_unknown_number(
    client: httpx.AsyncClient, population: Population
) -> None:
    answer = content_of(await post(client, verify_body(SoDinhDanh=unknown_id(population))))
    assert answer.findtext(f"{{{BCA}}}TonTai") == "false"
    assert answer.findtext(f"{{{BCA}}}MaKetQua") == "01"


async def test_verify_reports_a_name_mismatch_explicitly(
    client: httpx.AsyncClient, population: Population
) -> None:
    citizen = someone(population)
    wrong = f"{citizen.family_name} {citizen.middle_name} Xuyến"
    answer = content_of(await post(client, verify_body(SoDinhDanh=citizen.id_number, HoVaTen=wrong)))
    assert answer.findtext(f"{{{BCA}}}TonTai") == "false"
    assert answer.findtext(f"{{{BCA}}}MaKetQua") == "02"
    assert "HoVaTen" in answer.findtext(f"{{{BCA}}}MoTaKetQua")


async def test_verify_matches_names_across_unicode_forms_and_case(
    client: httpx.AsyncClient, population: Population
) -> None:
    citizen = someone(population)
    decomposed = unicodedata.normalize("NFD", citizen.full_name).upper()
    answer = content_of(await post(client, verify_body(SoDinhDanh=citizen.id_number, HoVaTen=decomposed)))
    assert answer.findtext(f"{{{BCA}}}TonTai") == "true"


async def test_lookup_returns_the_full_congdan_record(
    client: httpx.AsyncClient, population: Population
) -> None:
    citizen = someone(population)
    response = await post(client, lookup_body(SoDinhDanh=citizen.id_number))
    collection = content_of(response)
    assert collection.tag == f"{{{MIC}}}CongdanCollection"
    assert collection.findtext(f"{{{MIC}}}MaKetQua") == "00"
    (record,) = collection.findall(f"{{{MIC}}}CongDan")
    assert all(etree.QName(element).namespace == MIC for element in record.iter())
    expected = citizen.to_congdan()
    assert record.findtext(f"{{{MIC}}}SoDinhDanh") == citizen.id_number
    name = record.find(f"{{{MIC}}}HoVaTen")
    assert [name.findtext(f"{{{MIC}}}{part}") for part in ("Ho", "ChuDem", "Ten")] == [
        citizen.family_name,
        citizen.middle_name,
        citizen.given_name,
    ]
    birth = record.find(f"{{{MIC}}}NgayThangNamSinh")
    assert birth.findtext(f"{{{MIC}}}NgayThangNam") == citizen.birth_date.strftime("%Y%m%d")
    assert birth.findtext(f"{{{MIC}}}Nam") == str(citizen.birth_date.year)
    for block in ("NoiDangKyKhaiSinh", "QueQuan", "ThuongTru", "NoiOHienTai"):
        address = record.find(f"{{{MIC}}}{block}")
        assert {etree.QName(child).localname: child.text for child in address} == getattr(
            expected, block
        ).model_dump()
    head = record.find(f"{{{MIC}}}ChuHo")
    assert head.findtext(f"{{{MIC}}}QuanHe") == citizen.household.relation
    assert head.findtext(f"{{{MIC}}}SoDinhDanh") == citizen.household.head_id_number
    assert record.findtext(f"{{{MIC}}}SoSoHoKhau") == citizen.household.book_number
    for field in ("GioiTinh", "DanToc", "TonGiao", "TinhTrangHonNhan", "NhomMau"):
        assert record.findtext(f"{{{MIC}}}{field}") == getattr(expected, field)


async def test_lookup_of_an_unknown_number_is_an_empty_collection(
    client: httpx.AsyncClient, population: Population
) -> None:
    collection = content_of(await post(client, lookup_body(SoDinhDanh=unknown_id(population))))
    assert collection.findall(f"{{{MIC}}}CongDan") == []
    assert collection.findtext(f"{{{MIC}}}MaKetQua") == "01"


async def test_lookup_with_a_wrong_birth_date_reports_a_mismatch_and_discloses_nothing(
    client: httpx.AsyncClient, population: Population
) -> None:
    citizen = someone(population)
    wrong = citizen.birth_date.replace(day=1 if citizen.birth_date.day != 1 else 2).strftime("%Y%m%d")
    collection = content_of(
        await post(client, lookup_body(SoDinhDanh=citizen.id_number, NgayThangNamSinh=wrong))
    )
    assert collection.findtext(f"{{{MIC}}}MaKetQua") == "02"
    assert "NgayThangNamSinh" in collection.findtext(f"{{{MIC}}}MoTaKetQua")
    assert collection.findall(f"{{{MIC}}}CongDan") == []


async def test_lookup_accepts_a_birth_year_and_a_structured_name(
    client: httpx.AsyncClient, population: Population
) -> None:
    citizen = someone(population)
    parts = {"Ho": citizen.family_name, "ChuDem": citizen.middle_name, "Ten": citizen.given_name}
    name = "".join(f"<ns:{tag}>{text}</ns:{tag}>" for tag, text in parts.items())
    body = lookup_body(
        SoDinhDanh=citizen.id_number, HoVaTen=name, NgayThangNamSinh=str(citizen.birth_date.year)
    )
    collection = content_of(await post(client, body))
    assert collection.findtext(f"{{{MIC}}}MaKetQua") == "00"
    assert len(collection.findall(f"{{{MIC}}}CongDan")) == 1


async def test_diacritics_round_trip_in_utf8(client: httpx.AsyncClient, population: Population) -> None:
    citizen = next(
        c for c in map(population.citizen, map(population.id_at, range(500))) if c and "ễ" in c.full_name
    )
    response = await post(client, lookup_body(SoDinhDanh=citizen.id_number, HoVaTen=citizen.full_name))
    # Written as UTF-8 characters, not as &#...; references, and read back unchanged.
    assert citizen.family_name.encode("utf-8") in response.content
    record = content_of(response).find(f"{{{MIC}}}CongDan")
    name = record.find(f"{{{MIC}}}HoVaTen")
    assert [name.findtext(f"{{{MIC}}}{part}") for part in ("Ho", "ChuDem", "Ten")] == [
        citizen.family_name,
        citizen.middle_name,
        citizen.given_name,
    ]


async def test_newborn_registered_in_the_shared_population_is_found(
    client: httpx.AsyncClient, population: Population
) -> None:
    mother = next(
        c
        for c in map(population.citizen, map(population.id_at, range(200)))
        if c and c.sex == "F" and c.spouse
    )
    child = population.register_newborn(
        family_name="Vũ", middle_name="Minh", given_name="Khôi", sex="M", birth_date=date(2024, 2, 1),
        mother_id=mother.id_number,
    )  # fmt: skip
    collection = content_of(
        await post(client, lookup_body(SoDinhDanh=child.id_number, HoVaTen="Vũ Minh Khôi"))
    )
    (record,) = collection.findall(f"{{{MIC}}}CongDan")
    assert record.find(f"{{{MIC}}}Me").findtext(f"{{{MIC}}}SoDinhDanh") == mother.id_number


@pytest.mark.parametrize(
    "action",
    [
        "http://dancuquocgia.bca/XacThucThongTinCongDan",
        '"http://dancuquocgia.bca/XacThucThongTinCongDan"',
        '"XacThucThongTinCongDan"',
        '"XacThucThongTinCongDanRequest"',
        '""',
    ],
)
async def test_soap_action_naming_the_operation_is_accepted(
    client: httpx.AsyncClient, population: Population, action: str
) -> None:
    response = await post(client, verify_body(SoDinhDanh=someone(population).id_number), SOAPAction=action)
    assert response.status_code == 200


async def test_second_path_serves_the_same_operations(
    client: httpx.AsyncClient, population: Population
) -> None:
    response = await post(client, verify_body(SoDinhDanh=someone(population).id_number), path="/CSDLDC")
    assert content_of(response).findtext(f"{{{BCA}}}TonTai") == "true"


CLIENT_FAULTS = [
    ("malformed XML", b"<soapenv:Envelope><unclosed>", "malformed XML"),
    ("not an envelope", b"<Envelope/>", "expected a SOAP 1.1 Envelope"),
    (
        "wrong namespace",
        envelope("XacThucThongTinCongDanRequest", MIC, {"SoDinhDanh": "031094411047"}),
        "belongs to namespace http://dancuquocgia.bca",
    ),
    (
        "unknown operation",
        envelope("XoaCongDanRequest", BCA, {"SoDinhDanh": "031094411047"}),
        "unknown operation",
    ),
    ("missing SoDinhDanh", verify_body(HoVaTen="Nguyễn Văn An"), "SoDinhDanh is missing"),
    ("short SoDinhDanh", verify_body(SoDinhDanh="03109441104"), "SoDinhDanh: an ID number has 12 digits"),
    ("letters in SoDinhDanh", lookup_body(SoDinhDanh="03109441104X"), "only the digits"),
    ("unknown province", lookup_body(SoDinhDanh="099094411047"), "unknown province code '099'"),
    ("impossible century", lookup_body(SoDinhDanh="031594411047"), "century digit 5"),
    ("bad birth date", lookup_body(SoDinhDanh="031094411047", NgayThangNamSinh="15/03/1994"), "yyyymmdd"),
    ("bad SoCMND", verify_body(SoDinhDanh="031094411047", SoCMND="12ab"), "SoCMND must have 9 or 12 digits"),
    ("unknown field", verify_body(SoDinhDanh="031094411047", MatKhau="x"), "unexpected element"),
    ("empty body", f'<e:Envelope xmlns:e="{SOAP}"><e:Body/></e:Envelope>'.encode(), "one operation element"),
]


@pytest.mark.parametrize(
    ("case", "body", "message"), CLIENT_FAULTS, ids=[case for case, _, _ in CLIENT_FAULTS]
)
async def test_bad_requests_get_a_soap_client_fault(
    client: httpx.AsyncClient, case: str, body: bytes, message: str
) -> None:
    code, text = fault_of(await post(client, body))
    assert code == "soap:Client"
    assert message in text


async def test_soap_action_of_another_operation_is_a_client_fault(
    client: httpx.AsyncClient, population: Population
) -> None:
    body = verify_body(SoDinhDanh=someone(population).id_number)
    code, text = fault_of(
        await post(client, body, SOAPAction='"http://www.mic.gov.vn/dancu/1.0/XacMinhThongTinNhanThan"')
    )
    assert code == "soap:Client" and "does not name operation XacThucThongTinCongDan" in text


async def test_json_content_type_is_a_client_fault(client: httpx.AsyncClient) -> None:
    response = await client.post("/", json={"SoDinhDanh": "031094411047"})
    code, text = fault_of(response)
    assert code == "soap:Client" and "text/xml" in text


async def test_internal_failure_is_a_soap_server_fault(
    population: Population, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(id_number: str) -> None:
        raise RuntimeError("disk on fire")

    app = create_app(population, latency=False)
    for read in ("citizen", "identity"):  # a check reads the identity only, a look-up the whole record
        monkeypatch.setattr(app.state.population, read, broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p.test") as http:
        code, text = fault_of(await post(http, verify_body(SoDinhDanh="031094411047")))
    assert code == "soap:Server"
    assert "disk on fire" not in text  # internals are not leaked to callers


async def test_wsdl_is_valid_and_describes_both_operations(client: httpx.AsyncClient) -> None:
    response = await client.get("/?wsdl")
    assert response.status_code == 200
    definitions = etree.fromstring(response.content)
    assert definitions.tag == f"{{{WSDL}}}definitions"
    operations = definitions.findall(f"{{{WSDL}}}portType/{{{WSDL}}}operation")
    assert sorted(op.get("name") for op in operations) == [
        "XacMinhThongTinNhanThan",
        "XacThucThongTinCongDan",
    ]
    bound = definitions.findall(f"{{{WSDL}}}binding/{{{WSDL}}}operation")
    assert len(bound) == 2
    soap_ns = "http://schemas.xmlsoap.org/wsdl/soap/"
    address = definitions.find(f"{{{WSDL}}}service/{{{WSDL}}}port/{{{soap_ns}}}address")
    assert address.get("location") == "http://population.test/"
    for schema in definitions.iterfind(f"{{{WSDL}}}types/{{{XS}}}schema"):
        etree.XMLSchema(schema)  # each embedded schema compiles


async def test_answers_validate_against_the_wsdl_schemas(
    client: httpx.AsyncClient, population: Population
) -> None:
    definitions = etree.fromstring((await client.get("/?WSDL")).content)
    schemas = {
        schema.get("targetNamespace"): etree.XMLSchema(schema)
        for schema in definitions.iterfind(f"{{{WSDL}}}types/{{{XS}}}schema")
    }
    citizen = someone(population, 3)
    for body, namespace in (
        (verify_body(SoDinhDanh=citizen.id_number), BCA),
        (lookup_body(SoDinhDanh=citizen.id_number), MIC),
    ):
        request = etree.fromstring(body)[0][0]
        schemas[namespace].assertValid(request)
        schemas[namespace].assertValid(content_of(await post(client, body)))


async def test_get_without_wsdl_points_to_post(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_default_profile_has_realistic_latency_and_none_when_disabled(population: Population) -> None:
    realistic = create_app(population).state.faults.profile
    assert realistic.latency.kind == "lognormal"
    assert (realistic.latency.p50_ms, realistic.latency.p99_ms) == (300, 3000)
    assert create_app(population, latency=False).state.faults.profile.latency.kind == "none"


async def test_injected_errors_reach_the_caller_as_soap_faults(
    client: httpx.AsyncClient, population: Population
) -> None:
    changed = await client.patch("/_control/faults", json={"error_rate": 1.0})
    assert changed.status_code == 200
    code, _ = fault_of(await post(client, verify_body(SoDinhDanh=someone(population).id_number)))
    assert code == "soap:Server"


async def test_the_curl_example_of_the_module_docstring_answers_as_documented() -> None:
    import services.population.app as module

    match = re.search(r"--data-binary \\\n\s*'(.*?)'", module.__doc__ or "", re.DOTALL)
    assert match is not None
    app = create_app(Population(), latency=False)  # the example names a person of the default seed
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p.test") as http:
        answer = content_of(await post(http, match.group(1).encode()))
    assert answer.findtext(f"{{{BCA}}}TonTai") == "true"
    assert answer.findtext(f"{{{BCA}}}MaKetQua") == "00"
