"""Stopping a command cleanly on SIGINT (Ctrl-C) or SIGTERM: :class:`StopSignals`.

Used by the command line (``a3cmem_lib.cli``) and by any script that calls
:func:`a3cmem_lib.training.train` and wants ``kill`` to stop it the way Ctrl-C does.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

_FALLBACK_SECONDS = 5.0
"""How long a stop waits for the main thread to wait for its workers before it is raised
at the thread's next call outside a pipe transfer."""


class StopSignals:
    """SIGINT (Ctrl-C) and SIGTERM (``kill``, ``timeout``, ``docker stop``) for a command.

    While :meth:`handled` is active, either raises ``KeyboardInterrupt`` in the main thread,
    the one way to ask :func:`train` to stop its workers and hand back what it did; inside
    :meth:`deferred` they are only counted, so writing the results is not cut short. A
    signal the process was started to ignore (``nohup``, ``&`` in a script) stays ignored.

    Where the interrupt lands matters: in the middle of receiving or handling a worker's
    message it would lose experience (or leave half a message in the pipe), and in a
    finalizer (a ``__del__``, a weakref callback) Python drops it and training goes on. So
    it is raised only where the main thread waits for its workers, in
    ``multiprocessing.connection.wait`` (train() calls it between batches of messages):
    at once if the signal arrives there, else when the thread next calls it (a profile
    hook watches for that call meanwhile). Should the thread not wait within
    ``_FALLBACK_SECONDS``, the interrupt is raised at its next call outside a pipe
    transfer: a stop is never ignored. Used by the CLI's commands; a script that calls
    :func:`train` can use it the same way::

        stop = StopSignals()
        with stop.handled():
            try:
                result = train(config)
            except TrainingInterrupted as interruption:
                result = interruption.result  # stopped by stop.name, e.g. "SIGTERM"
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self.raising = True
        self.pid = os.getpid()
        self.watching = False
        self.fallback_at = 0.0

    @property
    def name(self) -> str:
        """``"SIGINT"`` or ``"SIGTERM"``: the first stop signal (SIGINT if none was seen,
        as when a notebook interrupts the thread)."""
        return signal.Signals(self.received[0]).name if self.received else "SIGINT"

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process killed by it."""
        return 128 + (self.received[0] if self.received else signal.SIGINT)

    @contextlib.contextmanager
    def handled(self) -> Iterator[StopSignals]:
        """Install the handlers for the block (main thread only; others cannot set one)."""
        previous = {}
        try:
            if threading.current_thread() is threading.main_thread():
                for signum in (signal.SIGINT, signal.SIGTERM):
                    if signal.getsignal(signum) is not signal.SIG_IGN:
                        previous[signum] = signal.signal(signum, self._handle)
            yield self
        finally:
            self._stop_watching()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Only count stop signals inside the block (one not yet raised is dropped)."""
        self.raising = False
        self._stop_watching()
        try:
            yield
        finally:
            self.raising = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # A worker started with fork inherits this handler. It leaves stopping to the parent
        # (a SIGTERM to the whole process group then stops the run cleanly, as Ctrl-C does);
        # the pool still ends a stuck worker with SIGKILL.
        if os.getpid() != self.pid:
            return
        self.received.append(signum)
        if not self.raising:
            return
        if _waiting_for_workers(frame):
            self._stop_watching()
            raise KeyboardInterrupt
        if not self.watching:
            self.watching = True
            self.fallback_at = time.monotonic() + _FALLBACK_SECONDS
            sys.setprofile(self._watch)

    def _watch(self, frame: FrameType, event: str, arg: object) -> None:
        """Profile hook (main thread) while a stop waits: raise as ``wait`` is entered."""
        if event == "call" and frame.f_code is _WAIT_CODE:
            self._stop_watching()
            raise KeyboardInterrupt
        if (
            event in ("call", "c_call")
            and time.monotonic() > self.fallback_at
            and frame.f_code.co_filename not in _NOT_THERE
            and not _in_pipe_transfer(frame)
        ):
            self._stop_watching()
            raise KeyboardInterrupt

    def _stop_watching(self) -> None:
        if self.watching:
            self.watching = False
            sys.setprofile(None)


_WAIT_CODE = multiprocessing.connection.wait.__code__
_NOT_THERE = (__file__, contextlib.__file__)
"""Where the fallback interrupt never lands: this module (stop handling itself, entering
:meth:`StopSignals.deferred`) and the context managers it runs in."""


def _in_pipe_transfer(frame: FrameType | None) -> bool:
    """Whether ``frame`` or one of its callers is sending or receiving on a pipe."""
    while frame is not None:
        if frame.f_code.co_filename == multiprocessing.connection.__file__:
            return True
        frame = frame.f_back
    return False


def _waiting_for_workers(frame: FrameType | None) -> bool:
    """Whether ``frame`` or one of its callers is ``multiprocessing.connection.wait``."""
    while frame is not None:
        if frame.f_code is _WAIT_CODE:
            return True
        frame = frame.f_back
    return False
