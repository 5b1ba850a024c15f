"""One terminal shared by the chat's prompt and lines that arrive while it waits (a
later SMS, the stack's news): such a line is written above the prompt, and the prompt
is drawn again with whatever the user had typed so far."""
from __future__ import annotations

import sys
import threading

try:
    import readline  # line editing for input(), and what the user has typed so far
except ImportError:  # not on every platform; the prompt then is plain input()
    readline = None

_lock = threading.Lock()
_prompt = ""  # the prompt input() is waiting on, "" when none


def show(line: str) -> None:
    """Prints `line` (safe from any thread) without breaking a pending prompt."""
    with _lock:
        if _prompt and sys.stdout.isatty():
            typed = readline.get_line_buffer() if readline else ""
            sys.stdout.write(f"\r\033[K{line}\n{_prompt}{typed}")
        else:
            sys.stdout.write(f"{line}\n")
        sys.stdout.flush()


def ask(prompt: str) -> str:
    """input(prompt), with show() aware of it meanwhile."""
    global _prompt
    with _lock:
        _prompt = prompt
    try:
        return input(prompt)
    finally:
        with _lock:
            _prompt = ""
