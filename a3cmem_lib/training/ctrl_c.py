"""Ctrl-C while a run's workers run: the first press asks for a stop, a second one raises.

A ``KeyboardInterrupt`` raised wherever SIGINT happens to land could cut a worker's message in
half, or be swallowed by a finaliser it interrupted. So while the workers run, the first
Ctrl-C only sets a flag that the parent's loop polls between messages; a second one raises at
once. Used by the local backend (:func:`a3cmem_lib.training.train`) and the Ray backend.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def first_ctrl_c_sets(stop: threading.Event) -> Iterator[None]:
    """While the block runs, the first Ctrl-C (SIGINT) only sets ``stop``; a second one
    raises ``KeyboardInterrupt``. Off the main thread (only it can own signals), and when
    SIGINT is ignored, nothing changes. The previous handler is restored on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        yield
        return

    def request_stop(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
