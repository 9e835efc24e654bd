"""train(): crash propagation, clean shutdown, reproducibility, checkpoints, learning."""

import os
import signal
import threading

import pytest
import torch

from a3cmem_lib.training import (
    TrainConfig,
    TrainResult,
    WorkerError,
    evaluate,
    load_checkpoint,
    train,
)

START_METHODS = ["spawn", "fork"]


def _same_weights(model_a, model_b):
    a, b = model_a.state_dict(), model_b.state_dict()
    return a.keys() == b.keys() and all(torch.equal(a[name], b[name]) for name in a)


def _config(**overrides):
    values = {"num_workers": 1, "total_steps": 2_000, "progress": False, "seed": 0}
    values.update(overrides)
    return TrainConfig(**values)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("num_workers", 0, ValueError),
        ("num_workers", 2.0, TypeError),
        ("num_workers", True, TypeError),
        ("total_steps", -5, ValueError),
        ("t_max", 0, ValueError),
        ("gamma", 1.5, ValueError),
        ("gae_lambda", -0.1, ValueError),
        ("learning_rate", 0.0, ValueError),
        ("learning_rate", float("nan"), ValueError),
        ("max_grad_norm", -1.0, ValueError),
        ("entropy_coef", -0.01, ValueError),
        ("optimizer", "sgd", ValueError),
        ("start_method", "threads", ValueError),
        ("hidden_sizes", (64, 0), ValueError),
        ("env_id", 7, TypeError),
        ("progress", "yes", TypeError),
    ],
)
def test_invalid_config_names_the_field(field, value, error):
    with pytest.raises(error, match=field):
        TrainConfig(**{field: value})


def test_validate_catches_fields_changed_after_construction():
    config = TrainConfig()
    config.t_max = -1
    with pytest.raises(ValueError, match="t_max"):
        config.validate()


@pytest.mark.parametrize("start_method", START_METHODS)
def test_worker_exception_is_raised_in_the_caller_with_its_traceback(start_method, no_leftovers):
    config = _config(
        env_id="a3c_test_envs:CrashOnStep-v0", num_workers=2, start_method=start_method
    )
    with pytest.raises(WorkerError) as caught:
        train(config)
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert "Traceback" in message
    assert "deliberate failure inside CrashOnStep.step" in message
    del caught


@pytest.mark.parametrize("start_method", START_METHODS)
def test_a_worker_dying_silently_is_reported(start_method, no_leftovers):
    config = _config(env_id="a3c_test_envs:DieOnStep-v0", start_method=start_method)
    with pytest.raises(WorkerError, match="exit code 3"):
        train(config)


@pytest.mark.parametrize("start_method", START_METHODS)
def test_successful_run_leaves_nothing_behind(start_method, no_leftovers):
    result = train(_config(num_workers=2, start_method=start_method))
    assert isinstance(result, TrainResult)
    assert result.global_step >= 2_000
    columns = ["episode", "global_step", "wall_time", "return", "length", "worker"]
    assert list(result.episodes.columns) == columns
    # Both workers may have played, or (a spawned worker still importing on a loaded
    # machine) only the first to start: the budget is a few hundred rollouts.
    assert len(result.episodes) > 0 and set(result.episodes["worker"]) <= {0, 1}
    assert not any(p.is_shared() for p in result.model.parameters())


def test_keyboard_interrupt_stops_all_workers(no_leftovers):
    config = _config(num_workers=2, total_steps=10**9)
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            train(config)
    finally:
        timer.cancel()


def test_seeded_single_worker_runs_are_bit_reproducible():
    first, second = (train(_config(seed=3, total_steps=4_000)) for _ in range(2))
    other_seed = train(_config(seed=4, total_steps=4_000))
    assert first.episodes["return"].tolist() == second.episodes["return"].tolist()
    assert first.episodes["global_step"].tolist() == second.episodes["global_step"].tolist()
    assert _same_weights(first.model, second.model)
    assert first.episodes["return"].tolist() != other_seed.episodes["return"].tolist()


def test_train_does_not_touch_the_callers_random_state():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train(_config(total_steps=200))
    torch.testing.assert_close(torch.rand(3), expected)


def test_stop_return_ends_training_early():
    result = train(_config(total_steps=10**9, stop_return=0.0))
    assert len(result.episodes) >= 100
    assert result.global_step < 10**9


def test_checkpoint_round_trip_and_resume(tmp_path):
    path = tmp_path / "checkpoint.pt"
    first = train(_config(total_steps=3_000))
    first.save_checkpoint(path)

    checkpoint = load_checkpoint(path)
    assert checkpoint.global_step == first.global_step
    assert checkpoint.episodes == len(first.episodes)
    assert checkpoint.config == first.config
    assert _same_weights(checkpoint.build_model(), first.model)

    resumed = train(_config(total_steps=6_000, resume_from=str(path)))
    assert resumed.global_step >= 6_000
    assert resumed.steps_this_run == resumed.global_step - first.global_step
    assert resumed.episodes["episode"].iloc[0] == len(first.episodes)
    assert resumed.episodes["global_step"].min() > first.global_step
    adam_steps = resumed.optimizer_state["state"][0]["step"].item()
    assert adam_steps == resumed.global_step // resumed.config.t_max  # one step per rollout


def test_evaluate_returns_greedy_and_sampled_statistics():
    model = train(_config(total_steps=500)).model
    first = evaluate(model, "CartPole-v1", 3, seed=5)
    assert set(first) == {"greedy_mean", "greedy_std", "sampled_mean", "sampled_std"}
    assert all(isinstance(value, float) and value >= 0 for value in first.values())
    assert evaluate(model, "CartPole-v1", 3, seed=5) == first
    with pytest.raises(ValueError, match="episodes"):
        evaluate(model, "CartPole-v1", 0)


def test_a_short_seeded_run_learns_cartpole():
    # A uniformly random policy averages about 22 on CartPole-v1. One worker and a fixed
    # seed make this run deterministic, so the assertion cannot flake.
    result = train(_config(total_steps=100_000))
    assert result.episodes["return"].tail(20).mean() > 100
    assert evaluate(result.model, "CartPole-v1", 5, seed=0)["greedy_mean"] > 150
