"""`./repay serve` stopped by a service manager (SIGTERM) stops every process it started,
as Ctrl-C does (devtools/stack.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from tests.support.paths import ROOT

# The stack's main() with its processes replaced by a marker of whether they were stopped.
SERVE = textwrap.dedent("""
    import sys
    from devtools import stack
    marker = sys.argv[1]

    class Stopped:
        def __init__(self, config): pass
        def check_secrets(self): pass
        def __enter__(self):
            open(marker, "w").write("running")
            return self
        def __exit__(self, *exc):
            open(marker, "w").write("stopped")

    stack.Stack = Stopped
    stack.load_demo_accounts = lambda url: None
    stack.create_demo_agents = lambda url: "password"
    sys.exit(stack.main(["serve"]))
""")


def test_sigterm_stops_the_stacks_processes(tmp_path):
    marker = tmp_path / "processes"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'repay.db'}"}
    serve = subprocess.Popen([sys.executable, "-c", SERVE, str(marker)], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (marker.exists() and marker.read_text() == "running"):
        assert serve.poll() is None, serve.stderr.read()
        assert time.monotonic() < deadline, "the stack did not start"
        time.sleep(0.1)
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=30) == 0
    assert marker.read_text() == "stopped"
