"""Faults the way users cause them: real signals to real processes, a kernel restart, a write
that fails half-way. Whatever happens, no worker outlives training, and every file on disk
is complete.

The processes are found in /proc: a worker is a child of the training process that is not
multiprocessing's resource tracker. Waits have generous timeouts (so nothing hangs CI) and
no test asserts on speed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure

from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.cli.run_files import write_curves
from a3cmem_lib.training import (
    TrainConfig,
    TrainingInterrupted,
    TrainResult,
    load_checkpoint,
    save_checkpoint,
    train,
)
from a3cmem_lib.training.result import EPISODE_COLUMNS

WORKERS = 2
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START_SECONDS = 20.0
"""How long a run may take to start its workers (spawn imports torch in each)."""
PROGRESS_SECONDS = 40.0
"""How long it may take from the start to the first periodic checkpoint."""
VANISH_SECONDS = 10.0
"""How long workers may take to exit once the training process is gone (about 1 s)."""
EXIT_SECONDS = 60.0
"""How long the CLI may take to save the run and exit after SIGTERM or Ctrl-C."""


# -- processes, from /proc ------------------------------------------------------------------


def processes() -> Iterator[tuple[int, str, int, int]]:
    """Every process as (pid, state, parent pid, process group), from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, parent, group = stat.read().rsplit(")", 1)[1].split()[:3]
        except OSError:  # it exited while we looked
            continue
        yield int(entry), state, int(parent), int(group)


def children(pid: int) -> dict[int, str]:
    """Running (not zombie) child processes of ``pid``, each with its command line."""
    found = {}
    for child, state, parent, _ in processes():
        if parent != pid or state == "Z":
            continue
        try:
            with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                found[child] = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    return found


def workers_of(pid: int) -> set[int]:
    """The A3C workers of the process ``pid``: its children, except multiprocessing's
    resource tracker (a helper started by spawn and forkserver); under forkserver the
    workers are the children of the fork server, itself a child of ``pid``."""
    workers = set()
    for child, command in children(pid).items():
        if "resource_tracker" in command:
            continue
        if "multiprocessing.forkserver" in command:
            workers |= set(children(child))
        else:
            workers.add(child)
    return workers


def running(pids: set[int]) -> set[int]:
    """Those of ``pids`` that still run. A zombie has exited (it only waits to be reaped by
    whoever adopted it), so it does not count."""
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(pid)
        except OSError:
            pass
    return alive


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy (returned); fail after ``timeout``
    seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout:.0f} s for {what}")
        time.sleep(0.1)


def assert_all_exit(pids: set[int], what: str) -> None:
    wait_until(lambda: not running(pids), VANISH_SECONDS, f"{what} {sorted(running(pids))} to exit")


def group_members(group: int) -> set[int]:
    """Running processes of the process group ``group``: a run's CLI, workers, fork server
    and resource tracker, wherever they were re-parented."""
    return {pid for pid, state, _, pgrp in processes() if pgrp == group and state != "Z"}


# -- the CLI in its own session, as a terminal or a service manager starts it ---------------


class CliRun:
    """``python -m a3cmem_lib train ...`` started in a new session (its own process group),
    stdout and stderr going to files."""

    def __init__(self, directory: Path, *flags: str) -> None:
        self.out = directory / "run"
        self.stderr_path = directory / "stderr.txt"
        command = [sys.executable, "-m", "a3cmem_lib", "train", "--env", "CartPole-v1"]
        command += ["--workers", str(WORKERS), "--steps", str(10**8), "--out", str(self.out)]
        with open(directory / "stdout.txt", "w") as stdout, open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(
                [*command, "--no-progress", *flags],
                cwd=directory,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        self.pid = self.process.pid
        self.shm_before = set(os.listdir("/dev/shm"))

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def check_running(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the CLI exited early with code {self.process.returncode}:\n{self.stderr}")

    def wait_for_workers(self) -> set[int]:
        """The worker processes, once all of them run."""

        def all_workers() -> set[int]:
            self.check_running()
            workers = workers_of(self.pid)
            return workers if len(workers) == WORKERS else set()

        return wait_until(all_workers, START_SECONDS, f"{WORKERS} workers to start")

    def wait_for_checkpoint(self) -> None:
        """Until ``--checkpoint-every`` wrote its three files once (the plot comes last)."""

        def written() -> bool:
            self.check_running()
            return (self.out / "learning_curve.png").exists()

        wait_until(written, PROGRESS_SECONDS, "the first periodic checkpoint")

    def wait_for_every_worker_to_play(self) -> None:
        """Until a periodic checkpoint's episodes come from every worker: each has then
        finished importing and installed its signal handlers (under spawn a worker that is
        still importing torch dies of a SIGTERM like any process)."""

        def everyone() -> bool:
            self.check_running()
            try:
                workers = pd.read_csv(self.out / "episodes.csv")["worker"]
            except (OSError, KeyError, pd.errors.EmptyDataError):
                return False
            return workers.nunique() == WORKERS

        wait_until(everyone, PROGRESS_SECONDS, "episodes from every worker")

    def assert_nothing_left(self, workers: set[int]) -> None:
        """The workers exit, then every process of the run (multiprocessing's resource
        tracker last: it unlinks the run's named semaphores once the CLI and the workers are
        gone), and no shared-memory segment or semaphore of the run stays in /dev/shm."""
        assert_all_exit(workers, "the workers")
        wait_until(
            lambda: not group_members(self.pid), VANISH_SECONDS, "every process of the run to exit"
        )
        assert set(os.listdir("/dev/shm")) - self.shm_before == set()

    def kill_everything(self) -> None:
        """End whatever is left of this run: its process group (the CLI and its workers)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


@pytest.fixture
def start_cli(tmp_path: Path) -> Iterator[Callable[..., CliRun]]:
    """Start the CLI with extra flags; whatever a test leaves running is killed afterwards."""
    runs: list[CliRun] = []

    def start(*flags: str) -> CliRun:
        runs.append(CliRun(tmp_path, *flags))
        return runs[-1]

    yield start
    for run in runs:
        run.kill_everything()


def assert_complete_files(out: Path) -> int:
    """The CSV, the plot and the checkpoint in ``out`` are whole; the checkpoint's step."""
    episodes = pd.read_csv(out / "episodes.csv")
    assert list(episodes.columns) == EPISODE_COLUMNS
    assert len(episodes) > 0 and not episodes.isna().any(axis=None)
    assert (out / "learning_curve.png").read_bytes()[:8] == PNG_SIGNATURE
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert checkpoint.global_step > 0
    return checkpoint.global_step


MODES = pytest.mark.parametrize(
    "start_method, memory",
    [
        ("spawn", "none"),
        ("spawn", "fifo"),
        ("fork", "none"),
        ("fork", "fifo"),
        ("forkserver", "none"),
        ("forkserver", "fifo"),
    ],
)


@MODES
def test_sigkill_of_the_cli_alone_stops_its_workers_and_keeps_the_last_checkpoint(
    start_cli, start_method, memory
):
    run = start_cli("--start-method", start_method, "--memory", memory, "--checkpoint-every", "500")
    workers = run.wait_for_workers()
    run.wait_for_checkpoint()
    time.sleep(1.0)  # more checkpoints: the kill may land in the middle of writing one

    os.kill(run.pid, signal.SIGKILL)  # the parent alone, as the out-of-memory killer does

    assert run.process.wait(timeout=EXIT_SECONDS) == -signal.SIGKILL
    run.assert_nothing_left(workers)
    assert_complete_files(run.out)
    has_buffer = load_checkpoint(run.out / "checkpoint.pt").memory_state is not None
    assert has_buffer == (memory != "none")


@pytest.mark.parametrize(
    "start_method, memory, resume",
    # Resuming costs a run: three cover every start method and both kinds of checkpoint.
    [
        ("spawn", "none", False),
        ("spawn", "fifo", True),
        ("fork", "none", True),
        ("fork", "fifo", False),
        ("forkserver", "fifo", True),
    ],
)
def test_sigterm_of_the_cli_alone_saves_the_run_and_prints_how_to_resume(
    start_cli, tmp_path, start_method, memory, resume
):
    run = start_cli("--start-method", start_method, "--memory", memory, "--checkpoint-every", "500")
    workers = run.wait_for_workers()
    run.wait_for_checkpoint()

    os.kill(run.pid, signal.SIGTERM)

    assert run.process.wait(timeout=EXIT_SECONDS) == 143, run.stderr
    run.assert_nothing_left(workers)
    [line] = run.stderr.splitlines()
    assert "Traceback" not in line
    stopped = re.match(r"a3cmem train: stopped at step ([\d,]+) of 100,000,000 \(SIGTERM\)", line)
    assert stopped, line
    step = int(stopped[1].replace(",", ""))
    assert assert_complete_files(run.out) == step

    command = shlex.split(line.split("; resume with: ", 1)[1])
    assert command[:4] == ["python", "-m", "a3cmem_lib", "train"]
    assert command[-2:] == ["--resume-from", str(run.out / "checkpoint.pt")]
    assert {"--start-method", start_method} <= set(command)
    if resume:
        command[command.index("--steps") + 1] = str(step + 300)  # short: the budget is absolute
        resumed = subprocess.run(
            [sys.executable, *command[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert resumed.returncode == 0, resumed.stderr
        assert load_checkpoint(run.out / "checkpoint.pt").global_step >= step + 300


def test_ctrl_c_in_the_terminal_saves_the_run(start_cli):
    run = start_cli()  # without --checkpoint-every: the CLI writes everything when stopped
    workers = run.wait_for_workers()
    time.sleep(3.0)  # let them take some steps

    os.killpg(run.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C: the whole group

    assert run.process.wait(timeout=EXIT_SECONDS) == 130, run.stderr
    run.assert_nothing_left(workers)
    [line] = run.stderr.splitlines()
    assert line.startswith("a3cmem train: stopped at step ") and "(SIGINT)" in line
    assert "Traceback" not in line and "resume with: python -m a3cmem_lib train" in line
    assert_complete_files(run.out)


@pytest.mark.parametrize("start_method", ["spawn", "fork", "forkserver"])
def test_sigterm_to_the_whole_group_stops_workers_cleanly(start_cli, start_method):
    """What systemd or Slurm do: SIGTERM to every process of the group. Workers finish their
    rollout and report instead of dying, so the run is saved, not reported as a crash."""
    run = start_cli("--start-method", start_method, "--memory", "fifo", "--checkpoint-every", "500")
    workers = run.wait_for_workers()
    run.wait_for_every_worker_to_play()

    os.killpg(run.pid, signal.SIGTERM)

    assert run.process.wait(timeout=EXIT_SECONDS) == 143, run.stderr
    run.assert_nothing_left(workers)
    [line] = run.stderr.splitlines()
    assert line.startswith("a3cmem train: stopped at step ") and "Traceback" not in line
    assert_complete_files(run.out)


def test_sigterm_to_the_group_while_spawned_workers_import_saves_the_run(start_cli):
    """The same signal a moment after the start, while spawned workers are still importing
    torch and have no handler yet: they die of it, and the run stops as interrupted (saved,
    exit 143), not as a crash."""
    run = start_cli("--start-method", "spawn", "--checkpoint-every", "500")
    workers = run.wait_for_workers()

    os.killpg(run.pid, signal.SIGTERM)

    assert run.process.wait(timeout=EXIT_SECONDS) == 143, run.stderr
    run.assert_nothing_left(workers)
    [line] = run.stderr.splitlines()
    assert line.startswith("a3cmem train: stopped at step ") and "Traceback" not in line
    assert line.endswith(str(run.out / "checkpoint.pt"))
    assert load_checkpoint(run.out / "checkpoint.pt").global_step >= 0


# -- in Python and in a notebook kernel ------------------------------------------------------


def test_train_interrupted_in_python_keeps_what_was_learned(tmp_path, no_leftovers):
    checkpointed = threading.Event()
    config = TrainConfig(
        total_steps=10**8,
        num_workers=WORKERS,
        progress=False,
        checkpoint_every=1_000,
        checkpoint_path=str(tmp_path / "checkpoint.pt"),
    )

    def press_ctrl_c() -> None:  # once training has surely made progress
        if checkpointed.wait(PROGRESS_SECONDS):
            signal.raise_signal(signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        with pytest.raises(TrainingInterrupted) as caught:
            train(config, on_checkpoint=lambda result: checkpointed.set())
    finally:
        checkpointed.set()
        presser.join()
    result = caught.value.result
    assert isinstance(result, TrainResult) and result.interrupted
    assert 0 < result.global_step < config.total_steps
    assert len(result.episodes) > 0 and isinstance(result.model, ActorCritic)
    assert load_checkpoint(tmp_path / "checkpoint.pt").global_step == result.global_step


def test_ctrl_c_at_any_moment_of_a_memory_run_is_an_interruption(no_leftovers):
    """Ctrl-C can cut a message off mid-transfer: that is a stop, never a lost-experience
    error, at whatever moment of training it comes (the delays start once fork has started
    the workers; Ctrl-C before that is a plain KeyboardInterrupt: nothing was learned yet)."""
    for delay in (1.5, 2.1, 2.7, 3.3, 3.9):
        timer = threading.Timer(delay, signal.raise_signal, (signal.SIGINT,))
        timer.start()
        try:
            with pytest.raises(TrainingInterrupted) as caught:
                train(
                    TrainConfig(
                        memory="fifo",
                        total_steps=10**8,
                        num_workers=WORKERS,
                        progress=False,
                        start_method="fork",
                    )
                )
        finally:
            timer.cancel()
        stats = caught.value.result.memory_stats
        received = stats["segments_received"] + stats["segments_lost_at_stop"]
        assert received >= stats["segments_received"] >= 0


def test_restarting_a_jupyter_kernel_during_train_stops_its_workers(tmp_path):
    from ipykernel.kernelspec import install
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    # A kernelspec that runs this interpreter (the default "python3" may be another one).
    install(kernel_name="a3cmem-test", prefix=str(tmp_path))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "share" / "jupyter" / "kernels")])
    manager = KernelManager(kernel_name="a3cmem-test", kernel_spec_manager=specs)
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        kernel = manager.provisioner.pid
        client.execute(
            "from a3cmem_lib.training import TrainConfig, train\n"
            f"train(TrainConfig(total_steps=10**8, num_workers={WORKERS}, progress=False))\n"
        )

        def all_workers() -> set[int]:
            workers = workers_of(kernel)
            return workers if len(workers) == WORKERS else set()

        # The kernel imports torch and the library first.
        workers = wait_until(all_workers, START_SECONDS, f"{WORKERS} workers in the kernel")
        time.sleep(1.0)

        manager.restart_kernel(now=True)

        assert_all_exit(workers, "the old kernel's workers")
        assert not running({kernel})
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


# -- writes that fail half-way ---------------------------------------------------------------


def test_a_failing_checkpoint_write_leaves_the_previous_checkpoint(
    cartpole_checkpoint, monkeypatch
):
    before = cartpole_checkpoint.read_bytes()
    newer = load_checkpoint(cartpole_checkpoint)
    newer.global_step = 200

    write_bytes = Path.write_bytes

    def write_half_then_fail(path: Path, data: Any) -> int:
        write_bytes(path, bytes(data)[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", write_half_then_fail)
    with pytest.raises(OSError, match="No space left") as failure:
        save_checkpoint(cartpole_checkpoint, newer)
    monkeypatch.undo()

    assert failure.value.filename == str(cartpole_checkpoint)
    assert cartpole_checkpoint.read_bytes() == before
    assert load_checkpoint(cartpole_checkpoint).global_step == 100
    assert list(cartpole_checkpoint.parent.iterdir()) == [cartpole_checkpoint]


def _result_with_episodes(count: int) -> TrainResult:
    config = TrainConfig()
    episodes = pd.DataFrame(
        [(i, 20 * (i + 1), 0.1 * i, 20.0, 20, 0) for i in range(count)], columns=EPISODE_COLUMNS
    )
    return TrainResult(
        episodes=episodes,
        model=config.build_model(4, 2),
        config=config,
        global_step=20 * count,
        steps_this_run=20 * count,
        total_episodes=count,
        wall_time=1.0,
        optimizer_state={},
        obs_dim=4,
        n_actions=2,
    )


@pytest.mark.parametrize(
    "name, owner, method",
    [("episodes.csv", pd.DataFrame, "to_csv"), ("learning_curve.png", Figure, "savefig")],
)
def test_a_failing_csv_or_plot_write_leaves_the_previous_file(
    tmp_path, monkeypatch, name, owner, method
):
    write_curves(_result_with_episodes(3), tmp_path)
    before = (tmp_path / name).read_bytes()

    def write_half_then_fail(self: object, path: Any, *args: object, **kwargs: object) -> None:
        Path(path).write_bytes(before[: len(before) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(owner, method, write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        write_curves(_result_with_episodes(5), tmp_path)

    assert (tmp_path / name).read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "episodes.csv",
        "learning_curve.png",
    ]  # and no temporary file left


# -- the lifeline of a worker started by the fork server ---------------------------------------


def test_a_worker_of_the_fork_server_exits_when_the_training_process_dies() -> None:
    """Under forkserver the worker's parent is the fork server: it watches the training
    process itself, and a killed training process (a zombie until reaped) ends it."""
    training = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from a3cmem_lib.training.lifeline import exit_with_parent; "
            f"exit_with_parent({training.pid}, direct=False); time.sleep(600)",
        ]
    )
    try:
        time.sleep(2.0)  # imported and watching
        assert watcher.poll() is None, "the watcher exited while the training process ran"
        os.kill(training.pid, signal.SIGKILL)  # left a zombie: this test does not reap it yet
        assert watcher.wait(timeout=VANISH_SECONDS) == 1
    finally:
        for process in (training, watcher):
            if process.poll() is None:
                process.kill()
            process.wait()


def test_an_indirect_lifeline_needs_the_training_process() -> None:
    from a3cmem_lib.training.lifeline import exit_with_parent

    with pytest.raises(ValueError, match="parent_pid must be given"):
        exit_with_parent(None, direct=False)
