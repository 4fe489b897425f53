"""Tables printed whole: the `lgsp` commands' tables piped into a file, a pager or a CI log keep each row
on one line instead of rich's default 80 columns for output that is not a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table


def print_whole(console: Console, table: Table) -> None:
    """Print a table unsqueezed: as wide as the terminal on one, else (a pipe, a file, a CI log) as wide
    as the table needs, instead of rich's default 80 columns that wrap every cell."""
    if console.is_terminal:
        console.print(table)
        return
    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    kept = console.width
    console.width = max(kept, needed)
    try:
        console.print(table)
    finally:
        console.width = kept
