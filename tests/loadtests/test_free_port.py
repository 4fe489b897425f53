"""free_port: a port for a stack's server, out of the range outgoing connections take theirs from."""

from __future__ import annotations

import socket
from pathlib import Path

from loadtests.stack import LOWEST_LISTEN_PORT, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound() -> None:
    ephemeral_start = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(50):
        port = free_port()
        assert LOWEST_LISTEN_PORT <= port < ephemeral_start
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))


def test_a_port_someone_listens_on_is_never_given() -> None:
    listening = [socket.socket() for _ in range(20)]
    try:
        taken = set()
        for sock in listening:
            sock.bind(("127.0.0.1", free_port()))
            sock.listen()
            taken.add(sock.getsockname()[1])
        assert all(free_port() not in taken for _ in range(200))
    finally:
        for sock in listening:
            sock.close()


def test_a_port_is_never_given_twice_even_before_anyone_binds_it() -> None:
    """A stack picks all its ports before its servers start: two picks must differ without a bind."""
    picked = [free_port() for _ in range(2000)]
    assert len(set(picked)) == len(picked)
