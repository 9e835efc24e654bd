"""The first Ctrl-C asks a run to stop, a second one raises: real SIGINTs to this process."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from a3cmem_lib.training.ctrl_c import first_ctrl_c_sets


def _deliver_sigint() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    # the handler runs in the main thread between bytecodes: give it the chance
    for _ in range(100):
        time.sleep(0.001)


def test_first_sigint_sets_the_flag_second_raises_and_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGINT)
    stop = threading.Event()
    with first_ctrl_c_sets(stop):
        try:
            _deliver_sigint()
        except KeyboardInterrupt:
            pytest.fail("the first SIGINT raised instead of setting the flag")
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            _deliver_sigint()
    assert signal.getsignal(signal.SIGINT) is before


def test_ignored_sigint_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        stop = threading.Event()
        with first_ctrl_c_sets(stop):
            _deliver_sigint()
        assert not stop.is_set()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_off_the_main_thread_nothing_changes() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def body() -> None:
        with first_ctrl_c_sets(threading.Event()):
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [before]
