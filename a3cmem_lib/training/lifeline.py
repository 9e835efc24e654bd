"""A worker process must not outlive the training process that started it.

If the parent is killed (``kill -9``, an out-of-memory kill, a closed terminal), nobody
tells the workers: re-parented to PID 1 they would go on using every core. Two guards:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment the
  thread that started it exits;
- everywhere, a watchdog thread that exits the process as soon as its parent changes
  (re-parenting is how the operating system reports a parent's death).

Under ``forkserver`` the process that starts a worker is the fork server, not the training
process, and a SIGTERM to the whole process group (systemd, Slurm) ends the fork server
while the workers should finish their rollout and report. There the worker watches the
training process itself instead: the watchdog exits the worker once that process is gone
(or a zombie), and no death signal ties it to the fork server.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5
"""How often the watchdog looks at the parent process id."""


def exit_with_parent(parent_pid: int | None = None, *, direct: bool = True) -> None:
    """Make this process exit (code 1, no cleanup) when the training process dies.

    Args:
        parent_pid: the process id of the training process that started this one, if
            known. If it is already gone (it died before this call), exit at once.
        direct: whether the training process is this process's direct parent (``fork``,
            ``spawn``); ``False`` under ``forkserver``, where the fork server is, and then
            ``parent_pid`` is watched by polling (it must be given).
    """
    if not direct:
        if parent_pid is None:
            raise ValueError("parent_pid must be given when the parent is not direct")
        if not _alive(parent_pid):
            os._exit(1)
        _start_watchdog(lambda: _alive(parent_pid))
        return
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.getppid()
    if parent_pid is not None and parent != parent_pid:
        os._exit(1)
    _start_watchdog(lambda: os.getppid() == parent)


def _start_watchdog(parent_alive: Callable[[], bool]) -> None:
    def watch() -> None:
        event = threading.Event()
        while not event.wait(WATCH_SECONDS):
            if not parent_alive():
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs: it exists and, where ``/proc`` tells, is no zombie (a
    process that has exited but was not yet reaped by its own parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc (macOS): existing is all we can tell
