"""Load a catalog from YAML, reporting each mistake with its line and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bus.catalog.model import Catalog


@dataclass(frozen=True)
class CatalogProblem:
    """One mistake in a catalog file: where it is and what is wrong."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.field or '<top>'}: {self.message}"


class CatalogError(ValueError):
    """A catalog that cannot be used; `problems` lists every mistake found."""

    def __init__(self, path: Path | str, problems: list[CatalogProblem]) -> None:
        self.path = str(path)
        self.problems = problems
        listing = "\n".join(f"  {self.path}:{p}" for p in problems)
        super().__init__(f"invalid catalog {self.path} ({len(problems)} problem(s)):\n{listing}")


def load_catalog(path: Path | str) -> Catalog:
    """Parse and validate the catalog at `path`; raises CatalogError naming line and field."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(path, [CatalogProblem(None, "", f"cannot read: {exc.strerror}")]) from exc
    return parse_catalog(text, source=str(path))


def parse_catalog(text: str, *, source: str = "<catalog>") -> Catalog:
    """Validate catalog YAML text; raises CatalogError naming line and field of each mistake."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise CatalogError(source, [CatalogProblem(line, "", f"not valid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise CatalogError(source, [CatalogProblem(1, "", "the catalog must be a mapping at the top level")])
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(root, error) for error in exc.errors(include_url=False)]
        raise CatalogError(source, problems) from exc


def _problem(root: yaml.Node | None, error: Any) -> CatalogProblem:
    loc = tuple(error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    field = ".".join(str(part) for part in loc)
    if not loc:
        # model-level checks name their place as "section[index]" at the start of the message
        loc, field = _loc_from_message(message)
        message = message.removeprefix(f"{field}: ") if field else message
    return CatalogProblem(_line_of(root, loc), field, message)


def _loc_from_message(message: str) -> tuple[tuple[str | int, ...], str]:
    head = message.split(":", 1)[0].split(" ", 1)[0]
    if "[" in head and head.endswith("]"):
        section, index = head[:-1].split("[", 1)
        if index.isdigit():
            return (section, int(index)), head
    return (), ""


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest node along `loc` that exists in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                found: yaml.Node = value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: yaml.Node = node.value[part]
        return item
    return None
