"""Start, inspect and stop a 3-node RabbitMQ cluster on one machine with the installed rabbitmq-server.

Each node has its own name (`lgsp-c1@localhost` …), AMQP port (5701-5703 by default), distribution port
(25701-25703), data, log and config files under one base folder, and the cluster's own Erlang cookie
there (HOME points at it). Nothing of the machine's own broker is read or changed: its env file
(/etc/rabbitmq/rabbitmq-env.conf names `rabbit@localhost`) is replaced by an empty one, and a start
refuses ports that are taken (5672 is never in the range).

    python -m loadtests.cluster.rabbit_cluster start      # prints the nodes' AMQP URLs
    python -m loadtests.cluster.rabbit_cluster status
    python -m loadtests.cluster.rabbit_cluster stop-node 2 | kill-node 2 | start-node 2
    python -m loadtests.cluster.rabbit_cluster stop
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")  # the real scripts: /usr/sbin's wrapper switches user
NODES = 3
MACHINE_BROKER_PORT = 5672


@dataclass(frozen=True)
class ClusterLayout:
    """Where each node lives and listens."""

    base: Path
    first_port: int = 5701

    def __post_init__(self) -> None:
        ports = range(self.first_port, self.first_port + NODES)
        if MACHINE_BROKER_PORT in ports or not 1024 < self.first_port < 65000 - 20_000:
            raise ValueError(f"first port {self.first_port}: the cluster must stay clear of 5672 and 1024")

    def name(self, index: int) -> str:
        """Erlang node name of node `index` (1-based)."""
        return f"lgsp-c{index}@localhost"

    def port(self, index: int) -> int:
        """AMQP port of node `index`."""
        return self.first_port + index - 1

    def dist_port(self, index: int) -> int:
        """Erlang distribution port of node `index`."""
        return self.port(index) + 20_000

    def url(self, index: int) -> str:
        """AMQP URL of node `index` (guest may connect from loopback only; the config allows it)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port(index)}/"

    def env(self, index: int) -> dict[str, str]:
        """The environment `rabbitmq-server` and `rabbitmqctl` need for node `index`."""
        node = self.base / f"c{index}"
        return {
            **os.environ,
            "HOME": str(self.base),  # the cluster's own .erlang.cookie
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(node / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(node / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node / "log"),
            "RABBITMQ_NODENAME": self.name(index),
            "RABBITMQ_NODE_PORT": str(self.port(index)),
            "RABBITMQ_DIST_PORT": str(self.dist_port(index)),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }


def port_taken(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port`."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def ctl(layout: ClusterLayout, index: int, *args: str, timeout: float = 120) -> str:
    """Run `rabbitmqctl -n <node> args…`; raise with its output when it fails."""
    done = subprocess.run(
        [str(RABBIT_BIN / "rabbitmqctl"), "-n", layout.name(index), *args],
        env=layout.env(index), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"rabbitmqctl {' '.join(args)} on {layout.name(index)}: {done.stderr or done.stdout}"
        )
    return done.stdout


def prepare(layout: ClusterLayout) -> None:
    """The shared cookie, an empty env file, no plugins, each node's config."""
    layout.base.mkdir(parents=True, exist_ok=True)
    cookie = layout.base / ".erlang.cookie"
    if not cookie.exists():
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)
    (layout.base / "rabbitmq-env.conf").write_text("")
    (layout.base / "enabled_plugins").write_text("[].\n")
    for index in range(1, NODES + 1):
        node = layout.base / f"c{index}"
        node.mkdir(exist_ok=True)
        (node / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {layout.port(index)}\nloopback_users = none\n"
            "cluster_partition_handling = pause_minority\n"
        )


def start_node(layout: ClusterLayout, index: int, timeout: float = 90) -> None:
    """Start node `index` in the background and wait until its AMQP port answers."""
    for port in (layout.port(index), layout.dist_port(index)):
        if port_taken(port):
            raise RuntimeError(f"port {port} is taken: another cluster or program uses it")
    log = (layout.base / f"c{index}" / "server.log").open("ab")
    subprocess.Popen(
        [str(RABBIT_BIN / "rabbitmq-server")], env=layout.env(index), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not port_taken(layout.port(index)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{layout.name(index)} did not listen on {layout.port(index)}; see its log")
        time.sleep(0.5)
    ctl(layout, index, "await_startup")


def stop_node(layout: ClusterLayout, index: int) -> None:
    """Stop node `index` (the Erlang VM too)."""
    ctl(layout, index, "stop")


def kill_node(layout: ClusterLayout, index: int) -> None:
    """Crash node `index`: SIGKILL its Erlang VM (the pid it wrote beside its data), no goodbye to anyone."""
    pid_file = layout.base / f"c{index}" / "mnesia" / f"{layout.name(index)}.pid"
    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while port_taken(layout.port(index)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{layout.name(index)} still listens after SIGKILL")
        time.sleep(0.1)


def start_cluster(layout: ClusterLayout) -> None:
    """Start the three nodes and join nodes 2 and 3 to node 1 (a fresh data folder joins once)."""
    prepare(layout)
    for index in range(1, NODES + 1):
        start_node(layout, index)
    members = ctl(layout, 1, "cluster_status", "--formatter", "json")
    for index in range(2, NODES + 1):
        if layout.name(index) in members:
            continue
        ctl(layout, index, "stop_app")
        ctl(layout, index, "join_cluster", layout.name(1))
        ctl(layout, index, "start_app")


cli = typer.Typer(help="A 3-node RabbitMQ cluster on this machine (ports 5701-5703 by default).")
BaseOption = Annotated[Path, typer.Option(help="the cluster's folder")]
PortOption = Annotated[int, typer.Option(help="AMQP port of node 1 (2 and 3 follow)")]
DEFAULT_BASE = Path("/tmp/lgsp-rabbit-cluster")


@cli.command()
def start(base: BaseOption = DEFAULT_BASE, first_port: PortOption = 5701) -> None:
    """Start the cluster and print its AMQP URLs."""
    layout = ClusterLayout(base, first_port)
    start_cluster(layout)
    typer.echo(",".join(layout.url(i) for i in range(1, NODES + 1)))


@cli.command()
def status(base: BaseOption = DEFAULT_BASE, first_port: PortOption = 5701) -> None:
    """The cluster's members as node 1 sees them."""
    typer.echo(ctl(ClusterLayout(base, first_port), 1, "cluster_status"))


@cli.command()
def stop(base: BaseOption = DEFAULT_BASE, first_port: PortOption = 5701) -> None:
    """Stop every node still running."""
    layout = ClusterLayout(base, first_port)
    for index in range(NODES, 0, -1):
        if port_taken(layout.port(index)):
            stop_node(layout, index)


@cli.command("stop-node")
def stop_one(index: int, base: BaseOption = DEFAULT_BASE, first_port: PortOption = 5701) -> None:
    """Stop one node (1-3), e.g. mid-load."""
    stop_node(ClusterLayout(base, first_port), index)


@cli.command("kill-node")
def kill_one(index: int, base: BaseOption = DEFAULT_BASE, first_port: PortOption = 5701) -> None:
    """Crash one node (1-3): SIGKILL, as a power cut would."""
    kill_node(ClusterLayout(base, first_port), index)


@cli.command("start-node")
def start_one(index: int, base: BaseOption = DEFAULT_BASE, first_port: PortOption = 5701) -> None:
    """Start one node again; it rejoins the cluster it belonged to."""
    start_node(ClusterLayout(base, first_port), index)


if __name__ == "__main__":  # pragma: no cover
    cli()
