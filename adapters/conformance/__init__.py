"""The conformance kit: is an adapter fit to go live? `lgsp adapter check ENTRYPOINT`, or in pytest.

report = await check_target("civil")            # or "my_pkg.adapter:create_adapter"
assert report.ok, report.failed()

The built-in mocks, as providers of a check, come from `lgsp.mock_provider.mock_provider(NAME)`.
"""

from adapters.conformance.context import CallLimits
from adapters.conformance.profile import ConformanceProfile, ProviderFactory, Sample
from adapters.conformance.report import CheckResult, ConformanceReport
from adapters.conformance.runner import TargetNotFound, check_target, run_conformance

__all__ = [
    "CallLimits",
    "CheckResult",
    "ConformanceProfile",
    "ConformanceReport",
    "ProviderFactory",
    "Sample",
    "TargetNotFound",
    "check_target",
    "run_conformance",
]
