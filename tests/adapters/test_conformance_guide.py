"""The guide's worked example is the file the tests install and run, copied verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "adapters" / "README.md"
EXAMPLE = ROOT / "tests" / "adapters" / "example_dist"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_guide_python_example_is_the_tested_adapter_verbatim() -> None:
    adapter = (EXAMPLE / "lgsp_example_marital" / "__init__.py").read_text(encoding="utf-8")
    assert adapter in _blocks("python")


def test_guide_pyproject_example_is_the_tested_distribution_verbatim() -> None:
    assert (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8") in _blocks("toml")
