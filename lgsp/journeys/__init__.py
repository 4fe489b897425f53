"""The province's journey definitions, one YAML file per kind in this package (package data).

The bus's engine knows no national system; the definitions naming the real services live here, in
the composition root, and are handed to `Journeys` and `JourneyEngine` by `lgsp run`, `lgsp worker`
and `lgsp gateway`.
"""

from __future__ import annotations

from importlib import resources

import yaml

from bus.flows import JourneyDefinition, JourneyDefinitionError, load_journey


def load_definitions() -> list[JourneyDefinition]:
    """Every `*.yaml` definition of this package, sorted by file name; a JourneyDefinitionError naming
    the file when one cannot run."""
    definitions: list[JourneyDefinition] = []
    files = sorted(
        (entry for entry in resources.files(__name__).iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    for entry in files:
        try:
            definitions.append(load_journey(yaml.safe_load(entry.read_text(encoding="utf-8"))))
        except JourneyDefinitionError as error:
            raise type(error)(f"{entry.name}: {error}") from None
    kinds = [definition.kind for definition in definitions]
    duplicates = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if duplicates:
        raise JourneyDefinitionError(f"journey kinds defined twice: {', '.join(duplicates)}")
    return definitions
