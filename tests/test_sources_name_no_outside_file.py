"""Docstrings and comments stand on their own: no source, template or configuration file of the project
names a file on the team's machine (a reader of the repository or of an installed package has none)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bus", "adapters", "services", "loadtests", "lgsp", "safe_xml", "vn_calendar", "tests")
SUFFIXES = {".py", ".yaml", ".yml", ".toml", ".tmpl", ".cfg", ".ini"}
OUTSIDE = "/work/"  # the team's shared notes and worktrees


def _sources() -> list[Path]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*") if p.suffix in SUFFIXES]
    return [*files, ROOT / "pyproject.toml", ROOT / "Dockerfile", ROOT / "docker-compose.yml"]


def test_no_source_names_a_file_outside_the_repository() -> None:
    sources = _sources()
    assert len(sources) > 300  # the scan found the project's files
    naming = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE in line and path != Path(__file__).resolve()
    ]
    assert naming == []
