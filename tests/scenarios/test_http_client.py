"""erpcap's users on ``FastHttpUser``: ``--timeout`` reaches the client, TLS stays verified,
and a request that gets no answer is a failed request whose text the analysis sorts as a
time-out. In a subprocess (Locust monkey-patches the standard library), against a real
socket on loopback that accepts and never answers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

CODE = """
import json, sys
from pathlib import Path
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from erpcap.scenarios.catalog import get_scenario
from erpcap.scenarios.launch import LoadSettings
from erpcap.scenarios.shapes import Shape, Step
from erpcap.scenarios.users import user_classes

settings = LoadSettings(run_dir=Path("."), scenario="peak-order",
                        shape=Shape("constant", (Step(1, 1.0),)), timeout_s=0.3)
classes = user_classes(get_scenario("peak-order"), settings)
cls = next(iter(classes.values()))
cls.host = sys.argv[1]  # as Locust sets it from --host
env = Environment(user_classes=[cls], host=sys.argv[1])
seen = []
env.events.request.add_listener(lambda **kw: seen.append(str(kw["exception"])))
user = cls(env)
body = user._call("get_sales_order", "GET", "/sales-orders/7")
print(json.dumps({
    "fast": all(issubclass(c, FastHttpUser) for c in classes.values()),
    "timeouts": sorted({(c.network_timeout, c.connection_timeout) for c in classes.values()}),
    "insecure": sorted({c.insecure for c in classes.values()}),
    "body": body, "errors": seen,
}))
"""


def test_the_timeout_reaches_the_client_and_a_silent_target_is_a_timeout() -> None:
    from erpcap.analysis.errors import cause_of

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts (the kernel does), never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        done = subprocess.run(
            [sys.executable, "-c", CODE, url], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["fast"] and found["insecure"] == [False]
    assert found["timeouts"] == [[0.3, 0.3]]
    assert found["body"] is None
    assert found["errors"] == ["connection error: timed out"]
    assert cause_of(0, found["errors"][0]) == "timeout"
