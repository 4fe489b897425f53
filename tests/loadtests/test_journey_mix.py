"""The journeys' calibration from Hải Phòng's dossiers and the split by procedure (known answers)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lgsp.cli import app
from loadtests.journey_mix import (
    HAI_PHONG_SPLIT,
    BadSplit,
    JourneyCalibration,
    format_split,
    parse_split,
)
from loadtests.scenarios.base import Draw
from loadtests.scenarios.journeys import JOURNEY_SCENARIOS, drawn
from loadtests.sizing import Assumptions
from services.citizens import Population


def test_the_default_split_covers_every_dossier() -> None:
    assert sum(HAI_PHONG_SPLIT.values()) == pytest.approx(1.0)


def test_a_split_is_normalised_and_kinds_left_out_get_nothing() -> None:
    assert parse_split("birth=3, death=1") == {"dossier": 0.0, "lltp": 0.0, "birth": 0.75, "death": 0.25}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("birth", "kind=share"),
        ("wedding=1", "kind=share"),
        ("birth=many", "not a number"),
        ("birth=-1", "≥ 0"),
        ("birth=nan", "≥ 0"),
        ("birth=0,death=0", "above 0"),
        ("", "above 0"),
    ],
)
def test_a_bad_split_is_refused_saying_why(text: str, why: str) -> None:
    with pytest.raises(BadSplit, match=why):
        parse_split(text)


def test_the_calibration_follows_the_capacity_plans_working_hours_model() -> None:
    # 1,000,000 a year ÷ 250 days = 4,000 a day; 90 % of them in 9 h = 400 an hour; ×3 at the peak.
    calibration = JourneyCalibration({"birth": 0.25, "death": 0.75}, dossiers_per_year=1_000_000)
    mean, peak = calibration.rates()
    assert 3600 * mean == pytest.approx(400.0)
    assert 3600 * peak == pytest.approx(1200.0)
    mean_birth, _ = calibration.rates(("birth",))
    assert 3600 * mean_birth == pytest.approx(100.0)
    # 0.5 journeys/s of births is 1,800/h: 6× the births' 300/h peak.
    assert calibration.multiple(0.5, ("birth",)) == pytest.approx(6.0)


def test_hai_phongs_dossiers_are_about_425_an_hour_in_working_hours() -> None:
    calibration = JourneyCalibration(HAI_PHONG_SPLIT, assumptions=Assumptions(peak_factor=2.0))
    mean, peak = calibration.rates()
    assert 3600 * mean == pytest.approx(956_000 / 250 * 0.9 / 9)  # 382.4
    assert peak == pytest.approx(2 * mean)
    line = calibration.line(("birth", "death"))
    assert "956,000 dossiers/year" in line and "birth+death" in line
    assert f"{956_000 * 0.045 / 250 * 0.9 / 9:,.1f} journeys/h" in line  # births and deaths: 4.5 %


def test_format_split_names_only_kinds_with_a_share() -> None:
    assert format_split({"dossier": 0.0, "birth": 0.75, "death": 0.25}) == "birth 75 %, death 25 %"


def test_every_procedure_is_drawn_at_its_share_ordinary_dossiers_and_certificates_filed_on_the_portal() -> (
    None
):
    assert drawn(HAI_PHONG_SPLIT) == HAI_PHONG_SPLIT == {"dossier": 0.915, "lltp": 0.04, "birth": 0.03,
                                                          "death": 0.015}  # fmt: skip
    assert drawn({"birth": 0.0, "death": 1.0}) == {"death": 1.0}
    on_portal = {kind for kind, scenario in JOURNEY_SCENARIOS.items() if scenario.inputs is None}
    assert on_portal == {"dossier", "lltp"} and set(JOURNEY_SCENARIOS) == set(HAI_PHONG_SPLIT)
    # Judicial-record certificates: 4 % of 956 k a year, over 250 days × 9 h carrying 90 %: ≈ 15.3/h.
    line = JourneyCalibration(HAI_PHONG_SPLIT).line(("lltp",))
    assert "lltp 4 %" in line and f"{956_000 * 0.04 / 250 * 0.9 / 9:,.1f} journeys/h" in line


def test_the_drawn_forms_name_real_people_and_nobody_dies_twice() -> None:
    population = Population()
    draw = Draw(random.Random(7), population, "t", claimed=set())
    births = [JOURNEY_SCENARIOS["birth"].inputs(draw) for _ in range(3)]
    for inputs in births:
        mother = population.citizen(inputs["mother"]["id_document_number"])
        assert mother is not None and mother.sex == "F" and mother.full_name == inputs["mother"]["full_name"]
        assert set(inputs["legs"]) <= {"residence", "insurance"} and inputs["legs"]
    deaths = [JOURNEY_SCENARIOS["death"].inputs(draw) for _ in range(3)]
    deceased = [inputs["deceased"]["id_number"] for inputs in deaths]
    assert len(set(deceased)) == 3 and set(deceased) <= draw.claimed
    assert all(population.citizen(number) is not None for number in deceased)


@pytest.mark.parametrize(
    "args",
    [
        ["--journeys", "wedding=1"],
        ["--journeys", "birth=0"],
        ["--fault", "civl={}"],
        ["--fault", 'civil={"error_rate": 2}'],
        ["--fault", "civil=[1]"],
        ["--journeys", "birth=1", "--amqp-url", "amqp://guest:guest@127.0.0.1:5672/"],
        ["--fault", 'civil={"error_rate": 0.1}', "--host", "http://127.0.0.1:9"],
    ],
)
def test_bad_journey_and_fault_options_are_usage_errors_before_anything_starts(
    args: list[str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["capacity", "--out", str(tmp_path / "report"), *args])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "report").exists()
