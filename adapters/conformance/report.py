"""The kit's verdict: one result per check, as a rich table or as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from rich.table import Table

Status = Literal["pass", "fail", "not_applicable"]
_STYLE = {"pass": "green", "fail": "bold red", "not_applicable": "dim"}


class CheckResult(BaseModel):
    """One check's outcome and why."""

    name: str
    status: Status
    detail: str = ""
    seconds: float = Field(0.0, description="how long the check took")


class ConformanceReport(BaseModel):
    """Every check run against one adapter."""

    adapter: str
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        """True when no check failed (not-applicable checks do not count against the adapter)."""
        return all(result.status != "fail" for result in self.results)

    def failed(self) -> list[str]:
        """Names of the failed checks."""
        return [result.name for result in self.results if result.status == "fail"]

    def result(self, name: str) -> CheckResult:
        """The result of the check `name`; KeyError when it was not run."""
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no check named {name!r} (ran: {', '.join(r.name for r in self.results)})")

    def table(self) -> Table:
        """The report as a rich table, one row per check."""
        verdict = (
            "[green]conformant[/green]" if self.ok else f"[red]{len(self.failed())} check(s) failed[/red]"
        )
        table = Table(title=f"conformance of {self.adapter}: {verdict}")
        table.add_column("check", no_wrap=True)
        table.add_column("result")
        table.add_column("seconds", justify="right")
        table.add_column("detail", overflow="fold")
        for result in self.results:
            status = f"[{_STYLE[result.status]}]{result.status.replace('_', ' ')}[/]"
            table.add_row(result.name, status, f"{result.seconds:.2f}", result.detail)
        return table
