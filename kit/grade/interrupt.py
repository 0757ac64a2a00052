"""Ctrl-C that always stops a grading run.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread is when it arrives. When
that is inside a finalizer (an object's __del__, a weakref callback, the garbage collector; the
gradebook's database connections run several after each merge), Python prints the exception and
goes on, and the run would go on grading as if nothing had been pressed. So while a class is
graded, the SIGINT handler also records the interrupt, and the grading loop calls check() after
each student and at least every POLL seconds while it waits for one.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

POLL = 0.05             # seconds between two checks while waiting for a student
_requested = threading.Event()


@contextmanager
def stoppable() -> Iterator[None]:
    """While the block runs, Ctrl-C (SIGINT) is recorded before the handler in place before it
    (Python's: KeyboardInterrupt) runs. Only the main thread can handle signals: elsewhere, or
    when SIGINT is ignored, nothing changes."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return

    def record(signum, frame):
        _requested.set()
        previous(signum, frame)

    _requested.clear()
    signal.signal(signal.SIGINT, record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _requested.clear()


def check() -> None:
    """KeyboardInterrupt if Ctrl-C was pressed in the stoppable() block (even when the first
    KeyboardInterrupt was lost in a finalizer)."""
    if _requested.is_set():
        raise KeyboardInterrupt


def wait_until(ready: Callable[[], bool]) -> None:
    """Return once ready() is true, checking for Ctrl-C every POLL seconds."""
    while not ready():
        check()
        time.sleep(POLL)
