"""A worker process must not outlive the training process that started it.

If the parent is killed (``kill -9``, an out-of-memory kill, a closed terminal), nobody
tells the workers: re-parented to PID 1 they would go on using every core. Two guards:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment the
  thread that started it exits;
- everywhere, a watchdog thread that exits the process as soon as its parent changes
  (re-parenting is how the operating system reports a parent's death). Under ``forkserver``
  the direct parent is the fork server, which itself exits when the training process does.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5
"""How often the watchdog looks at the parent process id."""


def exit_with_parent(parent_pid: int | None = None) -> None:
    """Make this process exit (code 1, no cleanup) when its parent process dies.

    Args:
        parent_pid: the process id of the direct parent that started this one, if known
            (``None`` under ``forkserver``, whose fork server is the direct parent). If the
            parent already differs (it died before this call), exit at once.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.getppid()
    if parent_pid is not None and parent != parent_pid:
        os._exit(1)
    watchdog = threading.Thread(target=_watch, args=(parent,), name="parent-watchdog")
    watchdog.daemon = True
    watchdog.start()


def _watch(parent: int) -> None:
    event = threading.Event()
    while not event.wait(WATCH_SECONDS):
        if os.getppid() != parent:
            os._exit(1)
