"""Which processes the bench charges: the listeners of its own services' ports, not every namesake."""

from __future__ import annotations

import os
import socket

from loadtests.bench.cpu import broker_pids, listening_pids


def test_the_listener_of_a_port_is_found_and_a_port_nobody_listens_on_has_none() -> None:
    with socket.socket() as listener, socket.socket() as unused:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        unused.bind(("127.0.0.1", 0))  # bound, never listening
        assert os.getpid() in listening_pids([listener.getsockname()[1]])
        assert listening_pids([unused.getsockname()[1]]) == set()


def test_no_broker_is_charged_for_a_port_no_rabbitmq_node_serves() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        # This test's own process listens there, but it is not a beam.smp.
        assert broker_pids([listener.getsockname()[1]]) == {}
