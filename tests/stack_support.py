"""What tests of whole processes share (devtools/stack.py's Stack)."""
from __future__ import annotations

import os
import signal
import time


def replace_the_gateway_worker(stack, name: str = "gateway", timeout: float = 30) -> None:
    """SIGKILLs the gateway's gunicorn worker and waits for gunicorn to start another;
    nothing is sent to the gateway meanwhile."""
    [dead] = stack.children(name)
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while stack.children(name) in ([], [dead]):
        assert time.monotonic() < deadline, "gunicorn did not replace its worker"
        time.sleep(0.2)
