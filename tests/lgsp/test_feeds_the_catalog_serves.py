"""A bus process follows only the journey feeds its catalog can be read through: run with a catalog
without the province's systems (an outside adapter's), it follows none and says so once, instead of
having every poll refused and logging a warning twice a second."""

from __future__ import annotations

import logging

import pytest

from bus.catalog import Catalog, load_catalog
from lgsp.default_catalog import DEFAULT_CATALOG
from lgsp.journey_runtime import feeds_the_catalog_serves
from lgsp.journeys import load_definitions

FEED_CLIENT = "VN/GOV/HPG/MOTCUA"
FEED_SERVICE = "VN/GOV/BCA/CSDLDC/BienDongKhaiTu/v1"
OUTSIDE = {
    "clients": [{"id": "VN/GOV/HPG/STP", "api_key_sha256": ["0" * 64]}],
    "adapters": {"echo": {}},
    "services": [{"id": "VN/GOV/HPG/JUDICIAL/NopHoSo/v1", "adapter": "echo"}],
}


def test_the_default_catalog_serves_the_death_feed() -> None:
    served = feeds_the_catalog_serves(load_definitions(), load_catalog(DEFAULT_CATALOG))
    assert [d.kind for d in served] == ["death-feed"]


def test_an_outside_catalog_serves_no_feed_and_says_which_client_and_service_it_lacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="lgsp.journey_runtime"):
        served = feeds_the_catalog_serves(load_definitions(), Catalog.model_validate(OUTSIDE))
    assert served == []
    [line] = [r.getMessage() for r in caplog.records if "not followed" in r.getMessage()]
    assert line == (
        f"feed of death-feed not followed: the catalog has no client {FEED_CLIENT} "
        f"and no service {FEED_SERVICE}"
    )
    assert all(r.levelno < logging.WARNING for r in caplog.records)


def test_a_catalog_with_the_client_but_not_the_feeds_service_serves_no_feed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clients = [*OUTSIDE["clients"], {"id": FEED_CLIENT, "api_key_sha256": ["1" * 64]}]  # type: ignore[misc]
    with caplog.at_level(logging.INFO, logger="lgsp.journey_runtime"):
        served = feeds_the_catalog_serves(
            load_definitions(), Catalog.model_validate({**OUTSIDE, "clients": clients})
        )
    assert served == []
    assert f"the catalog has no service {FEED_SERVICE}" in caplog.text and "no client" not in caplog.text
