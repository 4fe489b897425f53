"""`lgsp adapter new`: names are checked before anything is written, nothing is overwritten, and every
template file renders to a complete, compilable skeleton."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lgsp.adapter_scaffold import (
    AdapterNames,
    InvalidAdapterName,
    TargetExists,
    render_template,
    validate_name,
    write_skeleton,
)
from lgsp.cli import app


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Judicial", "lower-case"),
        ("1records", "lower-case"),
        ("land-records", "lower-case"),
        ("hồ_sơ", "lower-case"),
        ("", "lower-case"),
        ("x" * 41, "at most 40"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("json", "importable"),
        ("bus", "importable"),
    ],
)
def test_a_name_that_cannot_be_a_new_adapter_package_is_refused_and_nothing_is_written(
    tmp_path: Path, name: str, rule: str
) -> None:
    with pytest.raises(InvalidAdapterName, match=rule):
        write_skeleton(name, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "records"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TargetExists, match="already exists"):
        write_skeleton("land_records", target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_names_derive_the_distribution_class_prefix_and_subsystem() -> None:
    names = validate_name("land_records")
    assert (names.distribution, names.title, names.subsystem) == (
        "lgsp-adapter-land-records",
        "LandRecords",
        "LAND_RECORDS",
    )


def test_the_skeleton_holds_every_part_an_outside_adapter_needs() -> None:
    files = {str(path): text for path, text in render_template(AdapterNames("land_records")).items()}
    assert set(files) == {
        "README.md",
        "catalog.yaml",
        "conftest.py",
        "pyproject.toml",
        "land_records/__init__.py",
        "land_records/adapter.py",
        "land_records/callbacks.py",
        "land_records/conformance.py",
        "land_records/mock.py",
        "land_records/models.py",
        "tests/test_callbacks.py",
        "tests/test_conformance.py",
        "tests/test_services.py",
    }
    for path, text in files.items():
        if path.endswith(".py"):
            ast.parse(text, filename=path)  # a SyntaxError names the template at fault
        assert "__package__" not in text
    project = tomllib.loads(files["pyproject.toml"])
    entry_points = project["project"]["entry-points"]
    assert entry_points["lgsp.adapters"] == {"land_records": "land_records:create_adapter"}
    assert entry_points["lgsp.conformance"] == {
        "land_records": "land_records.conformance:conformance_profile"
    }
    assert project["tool"]["pytest"]["ini_options"]["asyncio_mode"] == "auto"
    catalog = yaml.safe_load(files["catalog.yaml"])
    assert catalog["events"] == ["land_records.application_decided"]
    assert [s["id"] for s in catalog["services"]] == [
        "VN/GOV/HPG/LAND_RECORDS/NopHoSo/v1",
        "VN/GOV/HPG/LAND_RECORDS/TraCuuHoSo/v1",
    ]
    assert 'APPLICATION_NUMBER = r"^HS\\d{10}$"' in files["land_records/models.py"]  # $$ → $


def test_lgsp_adapter_new_writes_the_skeleton_and_refuses_a_bad_name_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["adapter", "new", "land_records", "--dir", str(tmp_path / "pkg")])
    refused = runner.invoke(app, ["adapter", "new", "Land-Records", "--dir", str(tmp_path / "other")])
    again = runner.invoke(app, ["adapter", "new", "land_records", "--dir", str(tmp_path / "pkg")])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "pkg" / "land_records" / "adapter.py").is_file()
    assert refused.exit_code == 2 and "lower-case Python identifier" in refused.output
    assert not (tmp_path / "other").exists()
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.parametrize("name", ["judicial", "r" * 40])
def test_the_skeleton_is_lint_clean_and_formatted_whatever_its_name(tmp_path: Path, name: str) -> None:
    target, _ = write_skeleton(name, tmp_path / "pkg")
    for command in (["check"], ["format", "--check"]):
        linted = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", str(target)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr
