"""Connections the HTTP intake closed for reading too slowly. One closed before its headers were in
carries no request, so no transaction record can count it; this process-wide counter does, and every
`BusMetrics` registry exposes it (`lgsp_intake_closed_connections_total{reason}` on `/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter

HEADER_TIMEOUT = "header_timeout"
BODY_TIMEOUT = "body_timeout"

INTAKE_CLOSES = Counter(
    "lgsp_intake_closed_connections",
    "Connections closed by the server's read time-outs: headers (no request was read) or body "
    "(the cut-off call is also a Client.RequestIncomplete transaction).",
    ["reason"],
    registry=None,  # registered in each BusMetrics registry
)
