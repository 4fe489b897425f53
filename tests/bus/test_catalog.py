"""Catalog validation: every mistake named by line and field; the shipped catalog is valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bus.catalog import CatalogError, hash_api_key, load_catalog, parse_catalog
from bus.identifiers import ClientId, ServiceId
from lgsp.cli import app
from lgsp.default_catalog import DEFAULT_CATALOG

DIGEST = hash_api_key("k")
GOOD = f"""
adapters:
  echo: {{}}
clients:
  - id: VN/GOV/HPG/STP
    groups: [province]
    api_key_sha256: [{DIGEST}]
  - id: VN/GOV/HPG/OTHER
    api_key_sha256: [{DIGEST}]
services:
  - id: VN/GOV/HPG/LGSP/Echo/v1
    adapter: echo
    allow: [group:province]
"""


def test_shipped_catalog_is_valid_and_describes_the_national_systems() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    members = {s.id.member_code for s in catalog.services}
    assert "BCA" in members
    assert catalog.client(ClientId.parse("VN/GOV/HPG/STP")) is not None


def test_access_rights_through_groups_and_direct_grants() -> None:
    catalog = parse_catalog(GOOD)
    service = catalog.service(ServiceId.parse("VN/GOV/HPG/LGSP/Echo/v1"))
    stp = catalog.client(ClientId.parse("VN/GOV/HPG/STP"))
    other = catalog.client(ClientId.parse("VN/GOV/HPG/OTHER"))
    assert service and stp and other
    assert catalog.may_call(stp, service)
    assert not catalog.may_call(other, service)
    assert catalog.services_for(other) == []


@pytest.mark.parametrize(
    ("broken", "line", "field", "words"),
    [
        (GOOD.replace("VN/GOV/HPG/STP", "VN/GOV/HPG", 1), 5, "clients.0.id", "3 part(s)"),
        (GOOD.replace(f"[{DIGEST}]", "[abc]", 1), 7, "clients.0.api_key_sha256", "SHA-256"),
        (
            GOOD.replace("adapter: echo", "adapter: echo\n    timeout: -1"),
            13,
            "services.0.timeout",
            "greater than 0",
        ),
        (GOOD.replace("adapter: echo", "adapter: nope"), 11, "services[0]", "adapter 'nope'"),
        (GOOD.replace("group:province", "group:nobody"), 11, "services[0]", "unknown 'group:nobody'"),
        (
            GOOD.replace("    adapter: echo", "    adapter: echo\n    colour: red"),
            13,
            "services.0.colour",
            "Extra",
        ),
        (GOOD + "  - id: VN/GOV/HPG/LGSP/Echo/v1\n    adapter: echo\n", 14, "services[1]", "duplicate"),
    ],
)
def test_each_mistake_is_named_by_line_and_field(broken: str, line: int, field: str, words: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(broken)
    problem = caught.value.problems[0]
    assert (problem.line, problem.field) == (line, field)
    assert words in problem.message


def test_invalid_yaml_is_reported_with_its_line() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog("clients:\n  - id: [unclosed\n")
    assert caught.value.problems[0].line is not None
    assert "not valid YAML" in caught.value.problems[0].message


def test_catalog_check_command_exit_status(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["catalog", "check", str(DEFAULT_CATALOG)])
    assert good.exit_code == 0, good.output
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(GOOD.replace("adapter: echo", "adapter: echo\n    timeout: 0"))
    bad = runner.invoke(app, ["catalog", "check", str(bad_file)])
    assert bad.exit_code == 1
    assert "line 13" in bad.output and "services.0.timeout" in bad.output


def test_catalog_check_reports_adapters_that_are_not_installed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD.replace("echo", "not-installed"))
    result = CliRunner().invoke(app, ["catalog", "check", str(path)])
    assert result.exit_code == 1
    assert "not-installed" in result.output


def test_a_copy_with_other_services_finds_them_after_the_original_was_looked_up() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    first = catalog.services[0]
    assert catalog.service(first.id) is first  # the original's index worked out
    extra = catalog.services[1].model_copy(update={"id": ServiceId.parse("VN/GOV/HPG/LGSP/Extra/v9")})
    grown = catalog.model_copy(update={"services": (*catalog.services, extra)})
    assert grown.service(extra.id) is extra
    assert catalog.service(extra.id) is None
