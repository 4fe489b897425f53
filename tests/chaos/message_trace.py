"""Where each dossier's message was last seen, from the gateway's and the workers' trace log lines.

The worker logs `trace <stage> <message id> issue=<dossier> ...` at each step (received, put-back,
retry-published-*, settled*, from-record), the transport `trace acked <message id>`, and the gateway's
transport `trace request-published|request-publish-unconfirmed <message id> <correlation id>`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

_WORKER_LINE = re.compile(r"trace (?P<stage>\S+) (?P<message>\S+) issue=(?P<issue>\S+)")
_ACK_LINE = re.compile(r"trace acked (?P<message>\S+)")
_GATEWAY_LINE = re.compile(r"trace (?P<stage>request-\S+) (?P<message>\S+) (?P<correlation>\S+)")


def last_seen(dossiers: Iterable[str], transactions: dict[str, str], logs: Path) -> dict[str, str]:
    """Dossier → the last stage its message reached (`never-published` when no line names it), from
    the *.log files in `logs`. `transactions` maps dossier → the transaction id it was answered with."""
    wanted = set(dossiers)
    by_correlation = {transactions[d]: d for d in wanted if d in transactions}
    message_of: dict[str, str] = {}
    stage_of: dict[str, str] = {}
    worker_lines: list[str] = []
    for path in sorted(logs.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if (found := _GATEWAY_LINE.search(line)) and found["correlation"] in by_correlation:
                dossier = by_correlation[found["correlation"]]
                message_of[found["message"]] = dossier
                stage_of[dossier] = "gateway-" + found["stage"]
            elif "trace " in line:
                worker_lines.append(line)
    # Worker lines of one file are in order; across files the timestamps order them.
    worker_lines.sort(key=lambda line: line[:23])
    for line in worker_lines:
        if (found := _WORKER_LINE.search(line)) and found["issue"] in wanted:
            message_of[found["message"]] = found["issue"]
            stage_of[found["issue"]] = found["stage"]
        elif (found := _ACK_LINE.search(line)) and found["message"] in message_of:
            dossier = message_of[found["message"]]
            stage_of[dossier] = stage_of.get(dossier, "?") + "+acked"
    return {d: stage_of.get(d, "never-published") for d in wanted}


def stage_counts(stages: dict[str, str]) -> dict[str, int]:
    """How many dossiers were last seen at each stage."""
    return dict(Counter(stages.values()).most_common())


def slow_publishes(logs: Path) -> dict[str, int]:
    """Gateway publishes the broker had not confirmed by the request's deadline, and of those the ones
    still unconfirmed after the transport's confirm_timeout."""
    text = (logs / "gateway.log").read_text(errors="replace") if (logs / "gateway.log").exists() else ""
    return {
        "past_deadline": text.count("trace request-publish-slow "),
        "unconfirmed": text.count("trace request-publish-unconfirmed "),
    }
