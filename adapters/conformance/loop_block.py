"""Did the adapter's own code stop the event loop? (`time.sleep`, a synchronous client, heavy CPU work
inside `async def`.) In `lgsp run` such a stall freezes the whole process, `/health` included.

The bus's own loop watchdog runs during the check run with the kit's tighter threshold; a stall counts
against the adapter only when the loop thread's stack, taken while it was stalled, runs through the
kit's adapter call. The provider under the kit shares the loop, and a loaded machine may pause the
whole process: neither puts the adapter's call on that stack, so neither fails an adapter.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from adapters.conformance import context
from adapters.conformance.report import CheckResult
from bus.loop_watchdog import LoopStall, LoopWatchdog

# A stall this long inside the adapter's call fails the kit. Measured on a 2-core machine with three
# busy-looping processes beside the kit: the seven built-in adapters' worst stall inside their calls
# was 45 ms (15 ms unloaded), while the loop's stalls elsewhere (provider, imports) reached 1.1 s.
# A `time.sleep(0.3)` in `handle` stalls the loop 0.25-0.3 s; blocking I/O as long as the I/O takes.
KIT_STALL_SECONDS = 0.2
_FIX = (
    "blocking code inside `async def` stops every other call of the process, /health included: "
    "run it in a thread (`await asyncio.to_thread(blocking_function, ...)`) or use an async client "
    "(the SDK's ProviderClient, httpx.AsyncClient, redis.asyncio)"
)


class LoopBlockProbe:
    """Watches the running loop while the checks run; keeps the stalls made inside the adapter's call.

    Enter it from a coroutine (the watchdog attaches to the running loop)."""

    def __init__(self, threshold: float = KIT_STALL_SECONDS) -> None:
        self.threshold = threshold
        self.in_adapter: list[LoopStall] = []
        self._watchdog = LoopWatchdog(threshold, on_stall=self._record)

    def __enter__(self) -> LoopBlockProbe:
        self._watchdog.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._watchdog.stop()

    def _record(self, stall: LoopStall) -> None:
        if _adapter_frames(stall):
            self.in_adapter.append(stall)


def _adapter_frames(stall: LoopStall) -> list[str]:
    """The stack below the kit's adapter call, outermost first ('function (file:line)'); empty when
    the loop was stalled elsewhere."""
    kit_file = Path(context.__file__).resolve()
    for index, frame in enumerate(stall.stack):
        if frame.name == context.ADAPTER_CALL_FRAME and Path(frame.filename).resolve() == kit_file:
            return [f"{f.name} ({Path(f.filename).name}:{f.lineno})" for f in stall.stack[index + 1 :]]
    return []


def check_event_loop(probe: LoopBlockProbe) -> CheckResult:
    """No call to the adapter stopped the event loop for longer than the kit's threshold."""
    name = "never_blocks_event_loop"
    if not probe.in_adapter:
        detail = f"no stall over {probe.threshold:g} s inside the adapter's calls"
        return CheckResult(name=name, status="pass", detail=detail)
    worst = max(probe.in_adapter, key=lambda stall: stall.seconds or stall.noticed_after)
    frames = _adapter_frames(worst) or ["the adapter's call"]
    where = frames[-1] if len(frames) == 1 else f"{frames[-1]}, called from {frames[0]}"
    length = (
        f"{worst.seconds:.2f} s" if worst.seconds is not None else f"at least {worst.noticed_after:.2f} s"
    )
    detail = (
        f"the adapter blocked the event loop for {length} in {where} "
        f"({len(probe.in_adapter)} stall(s) over the kit's {probe.threshold:g} s); {_FIX}"
    )
    return CheckResult(name=name, status="fail", detail=detail)
