"""`lgsp journey …`: start a citizen's journey on a running bus, show its timeline, list journeys, list
the feed entries no journey was started for (`refused`), resume a parked journey (with the admin key).

`start birth` and `start death` build the dossier from the seeded population (a real mother, a real
deceased person with a relative), as the one-stop's pre-filled form would; `start dossier --from-portal`
has a citizen file an ordinary dossier on the portal mock, which records it in its book (so the
province's progress reports on it are accepted) and hands it to the province; any kind can be started
from a JSON file of inputs (`--inputs`). Requests go to the gateway's `/journeys` as the one-stop
system (client VN/GOV/HPG/MOTCUA, its demo key unless `--key` / LGSP_API_KEY say otherwise).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from loadtests.whole_tables import print_whole

journey_app = typer.Typer(
    help="Start, show, list and resume citizens' journeys; refused feed entries.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)

GatewayOption = Annotated[str, typer.Option("--gateway", help="gateway URL")]
ClientOption = Annotated[str, typer.Option("--client", help="the calling client (X-Road-Client)")]
KeyOption = Annotated[str, typer.Option("--key", help="the client's API key", envvar="LGSP_API_KEY")]
DEFAULT_GATEWAY = "http://127.0.0.1:8000"
DEFAULT_CLIENT = "VN/GOV/HPG/MOTCUA"
DEFAULT_KEY = "motcua-demo-key"
DEFAULT_PORTAL = "http://127.0.0.1:8105"
FINISHED = ("completed", "refused", "parked")
STATUS_STYLE = {"done": "green", "completed": "green", "skipped": "dim", "refused": "red", "parked": "yellow",
                "failed": "red", "cancelled": "dim", "compensated": "magenta"}  # fmt: skip


def transport() -> httpx.AsyncBaseTransport | None:
    """The HTTP transport to the gateway (None: the network; tests put the gateway in process)."""
    return None


def _request(
    method: str, url: str, client: str, key: str, *, admin_key: str | None = None, **kwargs: Any
) -> httpx.Response:
    async def send() -> httpx.Response:
        headers = {"X-Admin-Key": admin_key} if admin_key else {"X-Road-Client": client, "X-Api-Key": key}
        async with httpx.AsyncClient(transport=transport(), timeout=10.0) as http:
            return await http.request(method, url, headers=headers, **kwargs)

    try:
        return asyncio.run(send())
    except httpx.HTTPError as exc:
        errors.print(f"[red]cannot reach the gateway at {url}:[/red] {exc}")
        raise typer.Exit(1) from None


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            error = response.json()  # the bus's {type, message, detail}
            text = f"{error.get('type', response.status_code)}: {error.get('message', response.text)}"
        except (ValueError, AttributeError):
            text = response.text
        errors.print(f"[red]{text}[/red]")
        raise typer.Exit(2 if response.status_code < 500 else 1)
    answer: dict[str, Any] = response.json()
    return answer


def _inputs(kind: str, citizen: str | None, legs: str | None, born: str | None, sex: str) -> dict[str, Any]:
    from services.citizens import Population
    from services.journey_forms import BIRTH_LEGS, DEATH_LEGS, JourneyRequestError, birth_inputs, death_inputs
    from vn_calendar import vietnam_today

    chosen = None if legs is None else [leg.strip() for leg in legs.split(",") if leg.strip()]
    today = vietnam_today()
    try:
        born_on = date.fromisoformat(born) if born else None
        if kind == "birth":
            return birth_inputs(
                Population(),
                today=today,
                legs=chosen or BIRTH_LEGS,
                mother_id=citizen,
                born_on=born_on,
                sex=sex,
            )
        death_legs = DEATH_LEGS if chosen is None else chosen
        return death_inputs(Population(), today=today, legs=death_legs, deceased_id=citizen)
    except (JourneyRequestError, ValueError) as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


@journey_app.command("start")
def start(
    kind: Annotated[
        str,
        typer.Argument(help="birth, death, dossier (--from-portal), or any kind the bus defines (--inputs)"),
    ],
    citizen: Annotated[
        str | None, typer.Option("--citizen", "--mother", help="the mother (birth) or the deceased (death)")
    ] = None,
    legs: Annotated[
        str | None,
        typer.Option(help="birth: residence,insurance; death: residence,funeral,survivor (all)"),
    ] = None,
    born: Annotated[str | None, typer.Option(help="birth: the child's birth date (yesterday)")] = None,
    sex: Annotated[str, typer.Option(help="birth: male, female or undetermined")] = "male",
    inputs_file: Annotated[Path | None, typer.Option("--inputs", help="the inputs as a JSON file")] = None,
    dossier_code: Annotated[str | None, typer.Option(help="maHoSo (default: a new one)")] = None,
    from_portal: Annotated[
        bool, typer.Option(help="a citizen files it on the portal mock (kinds birth, death, dossier)")
    ] = False,
    portal: Annotated[str, typer.Option(help="--from-portal: the portal mock's URL")] = DEFAULT_PORTAL,
    wait: Annotated[bool, typer.Option(help="wait until the journey ends, then show it")] = False,
    timeout: Annotated[float, typer.Option(help="--wait: give up after this many seconds")] = 120.0,
    gateway: GatewayOption = DEFAULT_GATEWAY,
    client: ClientOption = DEFAULT_CLIENT,
    key: KeyOption = DEFAULT_KEY,
) -> None:
    """Start a journey; the same dossier code and inputs again answer the same journey (nothing new
    starts). A refused start prints the gateway's typed error and exits 2, changing nothing."""
    base = gateway.rstrip("/")
    if from_portal:
        record = _filed_on_portal(kind, portal)
    else:
        record = _started(kind, inputs_file, citizen, legs, born, sex, dossier_code, base, client, key)
    console.print(f"journey [bold]{record['journey_id']}[/bold] ({kind}, dossier {record['dossier_code']}): "
                  f"{record['status']}, due {_time(record['due_at'])}")  # fmt: skip
    if wait:
        deadline = time.monotonic() + timeout
        while record["status"] not in FINISHED and time.monotonic() < deadline:
            time.sleep(0.5)
            record = _answer(_request("GET", f"{base}/journeys/{record['journey_id']}", client, key))
        _timeline(record)


def _filed_on_portal(kind: str, portal: str) -> dict[str, Any]:
    """The journey of a dossier a citizen files now on the portal mock (it picks the citizen and code)."""
    if kind not in ("birth", "death", "dossier"):
        errors.print(f"[red]the portal's citizens file birth, death or dossier, not {kind!r}[/red]")
        raise typer.Exit(2)
    url = f"{portal.rstrip('/')}/_control/portal/traffic/file"
    filed = _answer(_request("POST", url, "", "", json={"procedure": kind}))
    answer = filed.get("answer")
    if not isinstance(answer, dict) or "journey_id" not in answer:
        errors.print(f"[red]the province answered the portal {filed.get('status_code')}: {answer}[/red]")
        raise typer.Exit(1)
    return answer


def _started(
    kind: str,
    inputs_file: Path | None,
    citizen: str | None,
    legs: str | None,
    born: str | None,
    sex: str,
    dossier_code: str | None,
    base: str,
    client: str,
    key: str,
) -> dict[str, Any]:
    """The journey started at the gateway with the inputs given or built from the population."""
    if inputs_file is not None:
        try:
            inputs = json.loads(inputs_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            errors.print(f"[red]cannot read the inputs: {error}[/red]")
            raise typer.Exit(2) from None
    elif kind in ("birth", "death"):
        inputs = _inputs(kind, citizen, legs, born, sex)
    else:
        inputs = {}  # the gateway names the kinds it knows, or the inputs a known kind needs
    code = dossier_code or f"H31.29-{datetime.now():%Y%m%d}-{uuid.uuid4().hex[:6].upper()}"
    return _answer(
        _request(
            "POST", f"{base}/journeys/{kind}", client, key, json={"dossier_code": code, "inputs": inputs}
        )
    )


def _time(value: str | None) -> str:
    return "-" if not value else datetime.fromisoformat(value).strftime("%a %d/%m %H:%M")


def _styled(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/{style}]" if style else status


def _timeline(record: dict[str, Any]) -> None:
    verdict = record["verdict"] or "-"
    title = (f"{record['kind']} {record['dossier_code']}: {record['status']}"
             f"{' (' + record['reason'] + ')' if record['reason'] else ''}, verdict {verdict}"
             f"{', late' if record['late'] else ''}")  # fmt: skip
    caption = (f"received {_time(record['received_at'])}, due {_time(record['due_at'])}, "
               f"finished {_time(record['finished_at'])} (simulated time, Vietnam)")  # fmt: skip
    table = Table(title=title, caption=caption)
    for column in ("step", "system", "status", "transactions", "started", "finished", "due", "verdict"):
        table.add_column(column, overflow="fold")
    for step in record["steps"]:
        ids = step["transaction_ids"]
        shown = ", ".join(i[:8] for i in ids[:3]) + (f" +{len(ids) - 3}" if len(ids) > 3 else "")
        table.add_row(
            step["step"], step["system"] or "-", _styled(step["status"]), shown or "-",
            _time(step["started_at"]), _time(step["finished_at"]), _time(step["due_at"]),
            step["verdict"] or "-",
        )  # fmt: skip
    print_whole(console, table)
    for action in record.get("interventions", []):
        parked = action["parked_reason"] or "-"
        when = _time(action["at"])
        line = f"{action['action']} by {action['by']} at {when} (parked: {parked}): {action['reason']}"
        console.print(line, soft_wrap=True, markup=False)


@journey_app.command("show")
def show(
    journey_id: Annotated[str, typer.Argument(help="the journey's id")],
    as_json: Annotated[bool, typer.Option("--json", help="the record as JSON")] = False,
    gateway: GatewayOption = DEFAULT_GATEWAY,
    client: ClientOption = DEFAULT_CLIENT,
    key: KeyOption = DEFAULT_KEY,
) -> None:
    """The journey's timeline: a row per step with its system, status, transactions, times and verdict."""
    record = _answer(_request("GET", f"{gateway.rstrip('/')}/journeys/{journey_id}", client, key))
    if as_json:
        console.print_json(data=record)
        return
    _timeline(record)


@journey_app.command("resume")
def resume(
    journey_id: Annotated[str, typer.Argument(help="the parked journey's id")],
    reason: Annotated[str, typer.Option(help="what was fixed: kept in the journey's history")],
    admin_key: Annotated[
        str, typer.Option("--admin-key", help="the admin key (X-Admin-Key)", envvar="LGSP_ADMIN_KEY")
    ],
    gateway: GatewayOption = DEFAULT_GATEWAY,
) -> None:
    """Resume a parked journey once its cause is fixed: the step that parked it is tried again and the
    journey carries on; the action is kept with the admin key's identity and the reason. A journey not
    parked, unknown or held prints the gateway's typed error and exits 2, changing nothing."""
    url = f"{gateway.rstrip('/')}/journeys/{journey_id}/resume"
    record = _answer(_request("POST", url, "", "", admin_key=admin_key, json={"reason": reason}))
    actions = record.get("interventions") or [{"steps": []}]
    retried = ", ".join(actions[-1]["steps"]) or "-"
    console.print(f"journey [bold]{record['journey_id']}[/bold] ({record['kind']}, dossier "
                  f"{record['dossier_code']}): {record['status']}, retrying {retried}")  # fmt: skip


@journey_app.command("list")
def list_journeys(
    kind: Annotated[str | None, typer.Option(help="only this kind")] = None,
    state: Annotated[str | None, typer.Option(help="running, completed, refused, parked…")] = None,
    late: Annotated[bool | None, typer.Option("--late/--on-time", help="only late / only not late")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    gateway: GatewayOption = DEFAULT_GATEWAY,
    client: ClientOption = DEFAULT_CLIENT,
    key: KeyOption = DEFAULT_KEY,
) -> None:
    """The client's journeys, newest first."""
    params: dict[str, Any] = {"limit": limit}
    params |= {name: value for name, value in (("kind", kind), ("state", state)) if value is not None}
    if late is not None:
        params["late"] = str(late).lower()
    found = _answer(_request("GET", f"{gateway.rstrip('/')}/journeys", client, key, params=params))[
        "journeys"
    ]
    table = Table(title=f"{len(found)} journey(s)")
    for column in ("journey", "kind", "dossier", "status", "received", "due", "finished", "verdict"):
        table.add_column(column, overflow="fold")
    for record in found:
        table.add_row(
            record["journey_id"], record["kind"], record["dossier_code"], _styled(record["status"]),
            _time(record["received_at"]), _time(record["due_at"]), _time(record["finished_at"]),
            (record["verdict"] or "-") + (" (late)" if record["late"] else ""),
        )  # fmt: skip
    print_whole(console, table)


@journey_app.command("refused")
def refused_entries(
    kind: Annotated[str, typer.Argument(help="the kind a feed starts, e.g. death-feed")],
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="the refusals as the gateway answers them")] = False,
    gateway: GatewayOption = DEFAULT_GATEWAY,
    client: ClientOption = DEFAULT_CLIENT,
    key: KeyOption = DEFAULT_KEY,
) -> None:
    """Entries of the feed that starts KIND no journey was started for, with why, newest first."""
    url = f"{gateway.rstrip('/')}/journeys/feeds/{kind}/refused"
    found = _answer(_request("GET", url, client, key, params={"limit": limit}))["refused"]
    if as_json:
        console.print_json(data=found)
        return
    table = Table(title=f"{len(found)} refused feed entr{'y' if len(found) == 1 else 'ies'} of {kind}")
    for column in ("position", "cursor", "refused", "reason", "entry"):
        table.add_column(column, overflow="fold")
    for refusal in found:
        position = "-" if refusal["position"] is None else str(refusal["position"])
        entry = json.dumps(refusal["entry"], ensure_ascii=False)
        table.add_row(position, str(refusal["after"]), _time(refusal["refused_at"]), refusal["reason"], entry)
    print_whole(console, table)
