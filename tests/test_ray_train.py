"""The Ray backend of one run and of a study, on a local Ray instance (``num_cpus=2``).

Faults are real: actors are killed with SIGKILL (their pids from Ray's state API) in the
middle of a run, Ctrl-C is a real SIGINT. Every run must leave no actor alive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import ray
import torch
from ray.util.state import list_actors, list_tasks

from a3cmem_lib.cli import main
from a3cmem_lib.experiments.backends.ray import run_jobs_on_ray
from a3cmem_lib.experiments.jobs import make_job
from a3cmem_lib.experiments.study import StudyConfig, run_study
from a3cmem_lib.experiments.tables import RUNS_FILE
from a3cmem_lib.training import (
    SetupError,
    TrainConfig,
    TrainingInterrupted,
    WorkerError,
    train,
)
from a3cmem_lib.training.backends import ray as ray_backend
from a3cmem_lib.training.backends import ray_runtime

TESTS = Path(__file__).parent


def tiny(**overrides) -> TrainConfig:
    """A run of a few seconds: one worker, a small buffer, small batches."""
    values = dict(
        env_id="CartPole-v1",
        num_workers=1,
        total_steps=2_000,
        memory="fifo",
        capacity=500,
        batch_size=8,
        progress=False,
        backend="ray",
    )
    return TrainConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with 2 CPUs whose workers can import tests/a3c_test_envs.py."""
    if ray.is_initialized():
        ray.shutdown()
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", path)  # Ray's processes inherit it
        ray.init(address="local", num_cpus=2, logging_level="warning")
    yield ray
    ray.shutdown()


def alive_actors() -> list:
    """Actors Ray's state API does not report dead."""
    return list_actors(filters=[("state", "!=", "DEAD")])


def kill_actor(class_name: str) -> None:
    """SIGKILL the process of the (one) live actor of ``class_name``."""
    (actor,) = list_actors(filters=[("class_name", "=", class_name), ("state", "=", "ALIVE")])
    os.kill(actor.pid, signal.SIGKILL)


# -- without a Ray instance ------------------------------------------------------------------


def test_nothing_imports_ray_unless_asked():
    code = (
        "import sys, a3cmem_lib.cli, a3cmem_lib.training, a3cmem_lib.experiments.study;"
        "import a3cmem_lib.training.backends, a3cmem_lib.training.backends.ray_runtime;"
        "print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_ray_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ImportError) as error:
        ray_runtime.ensure_ray()
    assert str(error.value) == ray_runtime.INSTALL_HINT
    assert 'pip install "a3cmem[ray]"' in ray_runtime.INSTALL_HINT
    code = main(["train", "--backend", "ray", "--steps", "100", "--out", str(tmp_path / "r")])
    assert code == 2
    message = capsys.readouterr().err.strip()
    assert message == f"a3cmem train: error: argument --backend: {ray_runtime.INSTALL_HINT}"
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("command", ["train", "study"])
def test_an_unreachable_address_is_one_line_naming_it(command, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [command, "--backend", "ray", "--address", "127.0.0.1:1", "--out", str(out)]
    argv += (
        ["--steps", "100"]
        if command == "train"
        else ["--envs", "CartPole-v1", "--seeds", "1", "--budget", "CartPole-v1=100"]
    )
    start = time.monotonic()
    code = main(argv)
    assert time.monotonic() - start < 10
    assert code == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"a3cmem {command}: error: argument --address: ")
    assert "127.0.0.1:1" in message and "\n" not in message
    assert not out.exists() or not any(out.iterdir())


def test_an_address_that_is_not_one_is_refused_before_connecting():
    for address in ("localhost", "10.0.0.1:port", ":6379"):
        with pytest.raises(SetupError, match="ray_address: .* is not a cluster address"):
            ray_runtime.check_reachable(address)
    ray_runtime.check_reachable("auto")  # nothing to try: Ray looks for a local cluster


def test_backend_is_validated():
    with pytest.raises(ValueError, match=r"backend must be one of \['local', 'ray'\]"):
        TrainConfig(backend="dask")
    with pytest.raises(ValueError, match="ray_address needs backend='ray'"):
        TrainConfig(ray_address="auto")
    with pytest.raises(TypeError, match="ray_address must be of type str"):
        TrainConfig(backend="ray", ray_address=6379)


# -- one run ---------------------------------------------------------------------------------


def test_same_result_as_local_and_resumes_from_either(local_ray, tmp_path):
    config = tiny()
    local = train(tiny(backend="local", start_method="forkserver"))  # no fork: Ray is connected
    result = train(config)
    assert alive_actors() == []
    assert type(result) is type(local)
    assert list(result.episodes.columns) == list(local.episodes.columns)
    assert len(result.episodes) > 10 and set(result.episodes["worker"]) == {0}
    assert result.episodes["global_step"].is_monotonic_increasing
    assert result.global_step == result.steps_this_run == config.total_steps
    assert set(local.memory_stats) <= set(result.memory_stats)
    stats = result.memory_stats
    assert stats["steps_received"] == result.steps_this_run
    assert stats["learner_updates"] > 0 and stats["worker_restarts"] == 0
    assert set(result.policy_lag) == set(local.policy_lag)
    assert result.model.state_dict().keys() == local.model.state_dict().keys()
    assert result.optimizer_state.keys() == local.optimizer_state.keys()
    assert result.memory_state.keys() == local.memory_state.keys()

    result.save_checkpoint(tmp_path / "ray.pt")
    for backend, start_method in (("ray", None), ("local", "forkserver")):
        resumed = train(
            tiny(
                backend=backend,
                start_method=start_method,
                total_steps=3_000,
                resume_from=str(tmp_path / "ray.pt"),
            )
        )
        assert resumed.global_step >= 3_000 and resumed.steps_this_run <= 1_100
        assert resumed.total_episodes == result.total_episodes + len(resumed.episodes)
        assert resumed.memory_stats["buffer_size"] == min(
            500, stats["buffer_size"] + resumed.memory_stats["segments_stored"]
        )
    assert alive_actors() == []


def test_plain_a3c_applies_every_gradient_once(local_ray):
    config = tiny(memory="none", total_steps=1_500)
    initial = config.build_model((4,), 2)
    torch.manual_seed(config.seed)
    result = train(config)
    assert result.memory_stats is None
    # one gradient per rollout, each applied once; a batch's gradients share one weight
    # copy, so even one worker's gradients are stale (a local single worker's never are)
    assert result.policy_lag["count"] == result.steps_this_run / config.t_max
    assert result.policy_lag["max"] >= 1
    changed = [
        not torch.equal(a, b)
        for a, b in zip(initial.parameters(), result.model.parameters(), strict=True)
    ]
    assert all(changed)
    assert alive_actors() == []


def test_twice_in_a_row_and_from_the_cli(local_ray, tmp_path, capsys):
    assert train(tiny(total_steps=600)).global_step == 600  # Ray is running already: reused
    out = tmp_path / "cli"
    argv = ["train", "--backend", "ray", "--workers", "1", "--steps", "600", "--out", str(out)]
    assert main([*argv, "--memory", "fifo", "--batch-size", "8", "--no-progress"]) == 0
    assert "memory layer: segments_received" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= {"episodes.csv", "learning_curve.png"}
    assert alive_actors() == []


def test_too_few_cpus_is_a_setup_error(local_ray):
    with pytest.raises(SetupError, match=r"num_workers: 2 workers need 3 CPUs .* it has 2"):
        train(tiny(num_workers=2))


def test_worker_that_raises_fails_the_run_with_its_traceback(local_ray):
    with pytest.raises(WorkerError, match="deliberate failure inside CrashOnStep.step"):
        train(tiny(env_id="a3c_test_envs:CrashOnStep-v0"))
    assert alive_actors() == []


def test_killed_worker_is_restarted_and_counted(local_ray, tmp_path):
    killed = []

    def kill_once(result):
        if not killed:
            killed.append(result.global_step)
            kill_actor("RolloutWorker")

    config = tiny(total_steps=4_000, checkpoint_every=500, checkpoint_path=str(tmp_path / "c.pt"))
    with pytest.warns(RuntimeWarning, match="worker 0 died on Ray and is being restarted"):
        result = train(config, on_checkpoint=kill_once)
    stats = result.memory_stats
    assert killed and stats["worker_restarts"] == 1 and stats["batches_lost"] == 1
    assert result.global_step == config.total_steps
    assert stats["steps_received"] == result.steps_this_run  # exactly once, despite the death
    assert stats["steps_lost"] == stats["segments_lost"] == 0
    assert alive_actors() == []


def test_worker_that_keeps_dying_fails_after_max_restarts(local_ray, monkeypatch):
    monkeypatch.setattr(ray_backend, "WORKER_RESTARTS", 1)  # two deaths are enough
    with pytest.raises(WorkerError, match=r"worker 0 died on Ray and was not restarted"):
        with pytest.warns(RuntimeWarning, match="is being restarted"):
            train(tiny(env_id="a3c_test_envs:DieOnStep-v0"))
    assert alive_actors() == []


def test_killed_memory_actor_fails_the_run_clearly(local_ray, tmp_path):
    config = tiny(total_steps=20_000, checkpoint_every=500, checkpoint_path=str(tmp_path / "c.pt"))
    with pytest.raises(WorkerError, match=r"the memory actor \(replay buffer and learner\) died"):
        train(config, on_checkpoint=lambda result: kill_actor("LearnerActor"))
    assert alive_actors() == []


def test_ctrl_c_keeps_the_run_and_stops_every_actor(local_ray, tmp_path):
    config = tiny(total_steps=50_000, checkpoint_every=500, checkpoint_path=str(tmp_path / "c.pt"))
    pressed = []

    def press_ctrl_c_once(result):
        if not pressed:  # the checkpoint written after the stop calls this again
            pressed.append(result.global_step)
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted) as stop:
        train(config, on_checkpoint=press_ctrl_c_once)
    result = stop.value.result
    assert result.interrupted and 500 <= result.global_step < config.total_steps
    # the batches under way at Ctrl-C were kept: every counted step reached the buffer
    assert result.memory_stats["steps_received"] == result.steps_this_run
    assert alive_actors() == []


# -- a study ---------------------------------------------------------------------------------


def small_study(seeds: int = 1) -> StudyConfig:
    return StudyConfig(
        envs=("CartPole-v1",),
        variants=("none", "fifo"),
        seeds=seeds,
        steps={"CartPole-v1": 1_000},
        # the local study forks from this process, connected to Ray: forkserver instead
        base=TrainConfig(num_workers=1, batch_size=8, progress=False, start_method="forkserver"),
    )


def test_study_on_ray_writes_the_local_tables_and_resumes(local_ray, tmp_path):
    local = run_study(small_study(), tmp_path / "local", progress=False)
    on_ray = run_study(small_study(), tmp_path / "ray", progress=False, backend="ray")
    assert list(on_ray.columns) == list(local.columns)
    runs_local = pd.read_csv(tmp_path / "local" / RUNS_FILE)
    runs_ray = pd.read_csv(tmp_path / "ray" / RUNS_FILE)
    assert list(runs_ray.columns) == list(runs_local.columns)
    assert sorted(runs_ray["run_id"]) == sorted(runs_local["run_id"])
    assert {p.name for p in (tmp_path / "ray").iterdir()} == {
        p.name for p in (tmp_path / "local").iterdir()
    }
    # resumable: a rerun with one more seed trains only the new runs, keeps the others
    run_study(small_study(seeds=2), tmp_path / "ray", progress=False, backend="ray")
    rerun = pd.read_csv(tmp_path / "ray" / RUNS_FILE).set_index("run_id")
    assert len(rerun) == 4
    kept = runs_ray.set_index("run_id")
    pd.testing.assert_series_equal(rerun.loc[kept.index, "wall_time"], kept["wall_time"])
    assert alive_actors() == []


def test_failed_study_run_is_retried_and_listed_after_the_rest(local_ray, tmp_path):
    base = tiny(total_steps=500)  # backend="ray": a study's task still trains locally
    good = make_job({"env": "CartPole-v1", "variant": "none", "seed": 0}, base, 100.0)
    bad = make_job({"env": "a3c_test_envs:CrashOnStep-v0", "variant": "none", "seed": 0}, base, 1.0)
    done = []
    with pytest.raises(RuntimeError) as error:
        run_jobs_on_ray([bad, good], lambda job, result: done.append(result), max_retries=1)
    assert [result.run["run_id"] for result in done] == [good.run_id]
    assert done[0].run["env_steps"] >= 500
    message = str(error.value)
    assert "1 of 2 study runs failed on Ray after 2 attempts" in message
    assert bad.run_id in message and "deliberate failure inside CrashOnStep.step" in message
    with pytest.raises(ValueError, match="max_retries must be an int >= 0"):
        run_jobs_on_ray([good], lambda job, result: None, max_retries=-1)


def test_study_task_whose_process_is_killed_is_retried(local_ray):
    base = TrainConfig(num_workers=1, total_steps=40_000, progress=False)
    job = make_job({"env": "CartPole-v1", "variant": "none", "seed": 0}, base, 500.0)
    killed = []

    def kill_the_running_task() -> None:
        while not killed:
            running = list_tasks(
                filters=[("func_or_class_name", "=", "run_job_locally"), ("state", "=", "RUNNING")],
                detail=True,
            )
            if running and running[0].worker_pid:
                time.sleep(1.0)  # well inside the run
                os.kill(running[0].worker_pid, signal.SIGKILL)
                killed.append(running[0].worker_pid)
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_running_task, daemon=True)
    killer.start()
    done = []
    run_jobs_on_ray([job], lambda job, result: done.append(result), max_retries=1)
    killer.join(timeout=5)
    # the first attempt's process died mid-run: the recorded run is Ray's retry of it
    assert killed and len(done) == 1 and done[0].run["env_steps"] >= 40_000
