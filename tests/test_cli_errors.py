"""Every bad input to ``python -m a3cmem_lib train`` (and ``study``) is one line on stderr,
``a3cmem train: error: argument --FLAG: ...``, exit code 2, no traceback, nothing started;
a crashing worker is exit code 1 with the worker's traceback and none of the parent's.

Most cases call ``main()`` in this process (fast); one runs the real command end to end.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from a3cmem_lib import stop_signals
from a3cmem_lib.cli import main
from a3cmem_lib.stop_signals import StopSignals


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    """Files that are not checkpoints, and a plain file where a folder is expected."""
    files = {
        "garbage": b"\x80\xc5" + bytes(range(256)) * 4,  # torch warns about "protocol 197"
        "empty": b"",
        "text": b"hello\n",
        "file": b"not a folder\n",
    }
    for name, contents in files.items():
        (tmp_path / name).write_bytes(contents)
    return {name: tmp_path / name for name in files}


def run_train(*argv: str, out: Path) -> int:
    return main(
        ["train", "--steps", "200", "--workers", "2", "--no-progress", "--out", str(out)]
        + list(argv)
    )


def assert_one_line_error(capsys: pytest.CaptureFixture[str], command: str, flag: str) -> str:
    """stderr is exactly one line ``a3cmem COMMAND: error: argument FLAG: ...``; returned."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"a3cmem {command}: error: argument {flag}: "), lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


@pytest.mark.parametrize(
    "env_id, expected",
    [
        ("NoSuchEnv-v9", "doesn't exist"),
        ("nosuchns/Env-v0", "Namespace nosuchns not found"),
        ("Pendulum-v1", "has the action space Box"),
    ],
)
def test_an_environment_that_cannot_be_trained(tmp_path, capsys, no_leftovers, env_id, expected):
    out = tmp_path / "run"
    assert run_train("--env", env_id, out=out) == 2
    line = assert_one_line_error(capsys, "train", "--env")
    assert f"env_id {env_id!r}" in line and expected in line
    if env_id == "Pendulum-v1":  # says what would work
        assert "supported: " in line and "Discrete action space" in line
    assert not out.exists()  # the output folder made for the run is removed again


@pytest.mark.parametrize("name", ["missing", "garbage", "empty", "text"])
def test_a_resume_from_that_is_not_a_checkpoint(tmp_path, capsys, no_leftovers, bad_files, name):
    path = bad_files.get(name, tmp_path / "missing.pt")
    assert run_train("--resume-from", str(path), out=tmp_path / "run") == 2
    line = assert_one_line_error(capsys, "train", "--resume-from")
    assert repr(str(path)) in line
    assert ("no checkpoint file" if name == "missing" else "not a readable") in line


@pytest.mark.parametrize(
    "flags, mismatch",
    [
        (["--env", "Acrobot-v1"], "env_id 'Acrobot-v1' (the checkpoint has 'CartPole-v1')"),
        (["--hidden-sizes", "32", "32"], "hidden_sizes (32, 32) (the checkpoint has (128,))"),
    ],
)
def test_a_checkpoint_of_another_run(
    tmp_path, capsys, no_leftovers, cartpole_checkpoint, flags, mismatch
):
    out = tmp_path / "run"
    assert run_train("--resume-from", str(cartpole_checkpoint), *flags, out=out) == 2
    line = assert_one_line_error(capsys, "train", "--resume-from")
    assert "does not fit this run" in line and mismatch in line
    assert not out.exists()


@pytest.mark.parametrize(
    "where, expected",
    [
        ("an existing file", "is an existing file, not a directory"),
        ("under a file", "cannot create directory"),
        ("under /proc", "cannot create directory"),
        ("/proc itself", "cannot write into directory"),
    ],
)
@pytest.mark.parametrize("command", ["train", "study"])
def test_an_out_that_cannot_be_written(capsys, no_leftovers, bad_files, command, where, expected):
    out = {
        "an existing file": bad_files["file"],
        "under a file": bad_files["file"] / "sub",
        "under /proc": Path("/proc/a3cmem-test/sub"),
        "/proc itself": Path("/proc"),  # exists, but no file can be made there, even by root
    }[where]
    argv = [command, "--out", str(out), "--workers", "1", "--no-progress"]
    if command == "study":
        argv += ["--envs", "CartPole-v1", "--budget", "CartPole-v1=100", "--seeds", "1"]
    else:
        argv += ["--steps", "100"]
    assert main(argv) == 2
    line = assert_one_line_error(capsys, command, "--out")
    assert repr(str(out)) in line and expected in line


def test_an_invalid_value_names_its_flag_and_field(tmp_path, capsys):
    assert run_train("--workers", "0", out=tmp_path / "run") == 2
    line = assert_one_line_error(capsys, "train", "--workers")
    assert line.endswith("num_workers must be an int >= 1, got 0")


def test_a_value_argparse_rejects_is_one_line_too(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["train", "--workers", "two"])
    assert caught.value.code == 2
    line = assert_one_line_error(capsys, "train", "--workers")
    assert "invalid int value: 'two'" in line and "--help" in line


def test_a_study_of_an_unknown_environment_fails_before_any_run(tmp_path, capsys, no_leftovers):
    out = tmp_path / "study"
    argv = ["study", "--envs", "CartPole-v1", "NoSuchEnv-v9", "--out", str(out)]
    assert main([*argv, "--budget", "CartPole-v1=100", "NoSuchEnv-v9=100"]) == 2
    line = assert_one_line_error(capsys, "study", "--envs")
    assert "'NoSuchEnv-v9'" in line and not out.exists()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--first-seed", "-1"], "first_seed must be an int in [0, 2**31), got -1"),
        (["--axis", "regime", "--first-seed", "100"], "not with --axis"),
    ],
)
def test_a_bad_first_seed_is_a_usage_error(tmp_path, capsys, extra, expected):
    out = tmp_path / "study"
    argv = ["study", "--out", str(out), "--envs", "CartPole-v1", "--budget", "CartPole-v1=100"]
    if "--axis" in extra:
        argv = ["study", "--out", str(out)]
    assert main([*argv, *extra]) == 2
    line = assert_one_line_error(capsys, "study", "--first-seed")
    assert expected in line and not out.exists()


@pytest.mark.parametrize(
    "env_id, expected",
    [
        ("a3c_test_envs:CrashOnStep-v0", "RuntimeError: deliberate failure inside CrashOnStep"),
        ("a3c_test_envs:DieOnStep-v0", "died with exit code 3"),
    ],
)
def test_a_crashing_worker_is_exit_code_1_with_its_traceback(
    tmp_path, capsys, no_leftovers, env_id, expected
):
    assert run_train("--env", env_id, out=tmp_path / "run") == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("a3cmem train: error: A3C worker ")
    assert expected in captured.err
    # At most the worker's own traceback (the one that raised), never the parent's.
    assert captured.err.count("Traceback") == (1 if "Crash" in env_id else 0)
    assert "a3cmem_lib/cli/" not in captured.err


def test_the_command_fails_with_exit_code_2_and_one_line(tmp_path):
    out = tmp_path / "run"
    completed = subprocess.run(
        [sys.executable, "-m", "a3cmem_lib", "train", "--env", "NoSuchEnv-v9", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    [line] = completed.stderr.splitlines()
    assert line.startswith("a3cmem train: error: argument --env: env_id 'NoSuchEnv-v9'")
    assert not out.exists()


def busy(seconds: float) -> None:
    """Compute (no waiting) for ``seconds``."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        sum(range(1_000))


def test_a_stop_signal_interrupts_a_wait_for_the_workers_at_once():
    stop = StopSignals()
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    with stop.handled(), pytest.raises(KeyboardInterrupt):
        timer.start()
        multiprocessing.connection.wait([], timeout=60)  # as train() waits for messages
    timer.join()
    assert (stop.name, stop.exit_code) == ("SIGTERM", 143)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


def test_a_stop_signal_that_arrives_while_busy_waits_for_the_next_wait():
    """Busy, train() is receiving or handling a message (an interrupt there loses
    experience), or in a __del__ (where Python drops an exception: training would go on)."""

    class SignalledWhileFinalized:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            busy(0.2)  # the handler runs in here

    stop = StopSignals()
    with stop.handled():
        SignalledWhileFinalized()  # finalized at once
        busy(0.2)  # not interrupted either
        assert stop.received == [signal.SIGTERM]
        with pytest.raises(KeyboardInterrupt):
            multiprocessing.connection.wait([], timeout=60)
    assert sys.getprofile() is None and stop.name == "SIGTERM"


def test_a_stop_signal_is_never_ignored_by_a_thread_that_does_not_wait(monkeypatch):
    monkeypatch.setattr(stop_signals, "_FALLBACK_SECONDS", 0.2)
    stop = StopSignals()
    with stop.handled(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        busy(30.0)  # interrupted at one of its calls
    assert stop.received == [signal.SIGTERM]
