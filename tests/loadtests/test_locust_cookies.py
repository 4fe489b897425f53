"""The load test's users keep no cookies (nothing they call sets one): a cookie a server sets is not sent
back, where Locust's plain user would send it.

Locust patches the standard library with gevent on import, so the users run in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Two requests per user to a server that sets a cookie on every answer; prints the Cookie headers it got.
SCRIPT = """
import json
from gevent.pywsgi import WSGIServer
from locust import FastHttpUser
from locust.env import Environment
from loadtests.locustfile import LgspUser

received = []

def app(environ, start_response):
    received.append(environ.get("HTTP_COOKIE"))
    start_response("200 OK", [("Set-Cookie", "session=abc; Path=/"), ("Content-Length", "2")])
    return [b"{}"]

server = WSGIServer(("127.0.0.1", 0), app, log=None)
server.start()
environment = Environment()
sent = {}
for user_class in (FastHttpUser, LgspUser):
    received.clear()
    user = type(user_class.__name__, (user_class,), {"host": f"http://127.0.0.1:{server.server_port}"})(environment)
    user.client.get("/")
    user.client.get("/")
    sent[user_class.__name__] = list(received)
print(json.dumps(sent))
"""


def test_a_cookie_a_server_sets_is_not_sent_back_by_the_load_tests_users() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, cwd=ROOT, check=True
    )
    sent = json.loads(done.stdout.strip().splitlines()[-1])
    assert sent["FastHttpUser"] == [None, "session=abc"]  # Locust's own user keeps it
    assert sent["LgspUser"] == [None, None]
