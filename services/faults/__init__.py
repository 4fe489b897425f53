"""Fault injection shared by every mock national system: latency, errors, hangs, outages, garbage, 429s.

    app = FastAPI()
    faults = install_faults(app, "population", FaultProfile(latency=Latency.lognormal(150, 3000)))
    ...
    if not faults.should_lose_callback():
        await send_callback(...)

At runtime: `GET|PUT|PATCH /_control/faults`, `POST /_control/faults/reset`, or `lgsp faults set URL ...`.
"""

from services.faults.client import FaultControlClient, FaultControlError
from services.faults.control import install_faults
from services.faults.injector import FaultInjector, FaultPlan
from services.faults.middleware import FaultMiddleware
from services.faults.profile import FaultProfile, FaultState, Latency

__all__ = [
    "FaultControlClient",
    "FaultControlError",
    "FaultInjector",
    "FaultMiddleware",
    "FaultPlan",
    "FaultProfile",
    "FaultState",
    "Latency",
    "install_faults",
]
