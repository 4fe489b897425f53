"""What a Locust process imports with the locustfile: the portal's dossiers, not the portal mock's app
(FastAPI, its routes and working calendar: ≈ 0.9 CPU-s per Locust process, three in a distributed run).

Run in a subprocess, so the modules other tests imported do not count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, sys
import locust  # first, as the locust command does: it patches the standard library with gevent
import loadtests.locustfile
from services.portal import DossierFactory
loaded = {name: name in sys.modules for name in ("services.portal.app", "fastapi")}
from services.portal import create_app
from services.portal.app import create_app as the_apps
print(json.dumps({"before": loaded, "same": create_app is the_apps}))
"""


def test_the_locustfile_imports_the_dossiers_without_the_portal_mocks_app() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, cwd=ROOT, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == {"services.portal.app": False, "fastapi": False}
    assert seen["same"] is True  # `from services.portal import create_app` still gives the app's factory


def test_the_portal_package_names_no_other_attribute() -> None:
    import services.portal

    with pytest.raises(AttributeError, match="no attribute 'create_ap'"):
        services.portal.create_ap  # noqa: B018
