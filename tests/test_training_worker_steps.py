"""The worker's named steps, called without processes: rollout, targets, segments, Hogwild
step, schedules, and the whole worker loop run in this process."""

from __future__ import annotations

import contextlib
import multiprocessing
import time

import gymnasium as gym
import numpy as np
import pytest
import torch

from a3cmem_lib.agent import ActorCritic, NumpyPolicy, SharedAdam, gae_advantages
from a3cmem_lib.training import Schedule, TrainConfig
from a3cmem_lib.training.messages import RolloutReport
from a3cmem_lib.training.rollout import RolloutCollector, rollout_loss, rollout_segments
from a3cmem_lib.training.schedules import StepCounter
from a3cmem_lib.training.segments import segment_priority
from a3cmem_lib.training.worker import WorkerContext, copy_weights, hogwild_step, run_worker


def collector(t_max: int = 12, max_episode_steps: int = 5, record: bool = True):
    torch.manual_seed(0)
    model = ActorCritic(4, 2, (16,))
    env = gym.make("CartPole-v1", max_episode_steps=max_episode_steps)
    return model, RolloutCollector(env, NumpyPolicy(model), t_max, seed=0, record_log_probs=record)


def test_a_rollout_bootstraps_truncated_episodes_from_their_last_state() -> None:
    _, rollouts = collector(t_max=12, max_episode_steps=5)
    rollout = rollouts.collect()
    assert rollout.length == 12
    # episodes of 5 steps end at t = 4 and 9 by the time limit (CartPole rarely fails in 5)
    ends = [t for _, _, t in rollout.episodes]
    assert ends == [4, 9] and rollout.truncated[ends].all()
    # their bootstrap states are the extra rows 13 and 14, not the reset states
    assert list(rollout.next_row[ends]) == [13, 14] and len(rollout.obs) == 15
    for t in ends:
        assert np.array_equal(rollout.obs[rollout.next_row[t]], rollout.last_states[t])
        assert not np.array_equal(rollout.obs[t + 1], rollout.last_states[t])
    others = [t for t in range(12) if t not in ends]
    assert list(rollout.next_row[others]) == [t + 1 for t in others]
    assert (rollout.log_probs < 0).all() and (rollout.log_probs > np.log(1e-6)).all()


def test_the_next_rollout_continues_the_episode() -> None:
    _, rollouts = collector(t_max=3, max_episode_steps=100)
    first = rollouts.collect().obs.copy()
    second = rollouts.collect()
    assert np.array_equal(second.obs[0], first[3])


def test_segments_cut_at_episode_ends_with_td_priorities() -> None:
    model, rollouts = collector(t_max=12, max_episode_steps=5)
    rollout = rollouts.collect()
    with torch.no_grad():
        _, values = model(torch.from_numpy(rollout.obs))
    row_values = values.numpy()
    items = rollout_segments(rollout, row_values, gamma=0.9)
    lengths = [int(segment.valid.sum()) for segment, _ in items]
    assert lengths == [5, 5, 2]
    starts = [0, 5, 10]
    for (segment, priority), start, n in zip(items, starts, lengths, strict=True):
        assert segment.obs.shape == (12, 4) and segment.obs.dtype == np.float32
        assert np.array_equal(segment.obs[:n], rollout.obs[start : start + n])
        assert not segment.obs[n:].any() and not segment.valid[n:].any()
        assert np.array_equal(segment.actions[:n], rollout.actions[start : start + n])
        # recomputed step by step: each δ_t bootstraps from its own next state
        deltas = [
            rollout.rewards[t]
            + 0.9 * (not rollout.terminated[t]) * row_values[rollout.next_row[t]]
            - row_values[t]
            for t in range(start, start + n)
        ]
        expected = segment_priority(np.array(deltas), np.ones(n, dtype=bool))
        assert priority == pytest.approx(float(expected))
    # truncated segments keep their last state and do not claim termination
    assert not bool(items[0][0].terminated)
    assert np.array_equal(items[0][0].last_obs, rollout.last_states[4])
    assert np.array_equal(items[2][0].last_obs, rollout.obs[12])


def test_a_terminated_segment_keeps_the_terminal_state() -> None:
    _, rollouts = collector(t_max=200, max_episode_steps=500)
    rollout = rollouts.collect()
    terminal = [t for t in rollout.last_states if rollout.terminated[t]]
    assert terminal, "a random CartPole policy fails within 200 steps"
    items = rollout_segments(rollout, np.zeros(len(rollout.obs)), gamma=0.99)
    ended = [segment for segment, _ in items if bool(segment.terminated)]
    assert len(ended) == len(terminal)
    assert np.array_equal(ended[0].last_obs, rollout.last_states[terminal[0]])


def test_rollout_loss_uses_gae_targets() -> None:
    model, rollouts = collector(t_max=12, max_episode_steps=5, record=False)
    rollout = rollouts.collect()
    config = TrainConfig(gamma=0.9, gae_lambda=0.5, entropy_coef=0.0, value_coef=1.0)
    logits, values = model(torch.from_numpy(rollout.obs))
    loss = rollout_loss(rollout, logits, values, config)
    v = values.detach().numpy()
    advantages = gae_advantages(
        rollout.rewards,
        v[:12],
        v[rollout.next_row],
        rollout.terminated,
        rollout.truncated,
        0.9,
        0.5,
    )
    expected_value_loss = 0.5 * np.mean(advantages**2)
    assert loss.value.item() == pytest.approx(expected_value_loss, rel=1e-5)


def test_hogwild_step_moves_the_shared_model_with_the_local_gradient() -> None:
    torch.manual_seed(0)
    shared, local = ActorCritic(4, 2, (8,)), ActorCritic(4, 2, (8,))
    copy_weights(shared, local)
    assert all(
        torch.equal(a, b) for a, b in zip(shared.parameters(), local.parameters(), strict=True)
    )
    optimizer = SharedAdam(shared.parameters(), lr=0.1)
    _, values = local(torch.ones(3, 4))
    local_before = [p.detach().clone() for p in local.parameters()]
    shared_before = [p.detach().clone() for p in shared.parameters()]
    hogwild_step(values.sum(), local, shared, optimizer, max_grad_norm=0.5)
    assert all(torch.equal(a, b) for a, b in zip(local_before, local.parameters(), strict=True))
    assert any(
        not torch.equal(a, b) for a, b in zip(shared_before, shared.parameters(), strict=True)
    )
    grads = [p.grad for p in local.parameters() if p.grad is not None]
    grad_norm = torch.sqrt(sum((grad**2).sum() for grad in grads))
    assert float(grad_norm) == pytest.approx(0.5, rel=1e-4), "clipped to max_grad_norm"


def test_schedules_anneal_learning_rate_and_beta() -> None:
    schedule = Schedule(TrainConfig(total_steps=1000, learning_rate=0.01, beta=0.4))
    assert schedule.learning_rate(0) == 0.01
    assert schedule.learning_rate(250) == pytest.approx(0.0075)
    assert schedule.learning_rate(5000) == 0.0
    assert schedule.beta(0) == pytest.approx(0.4) and schedule.beta(500) == pytest.approx(0.7)
    assert schedule.beta(2000) == 1.0
    constant = Schedule(TrainConfig(total_steps=1000, learning_rate=0.01, anneal_lr=False))
    assert constant.learning_rate(999) == 0.01


def test_the_step_counter_adds_atomically() -> None:
    counter = StepCounter(multiprocessing.get_context("spawn").Value("q", 5))
    assert counter.add(10) == 15 and counter.value == 15


@pytest.mark.parametrize("memory", ["none", "fifo"])
def test_the_worker_loop_runs_in_this_process(memory: str) -> None:
    config = TrainConfig(num_workers=1, total_steps=200, t_max=10, memory=memory, progress=False)
    torch.manual_seed(0)
    model = ActorCritic(4, 2, config.hidden_sizes)
    context_mp = multiprocessing.get_context("spawn")
    reader, writer = context_mp.Pipe(duplex=False)
    context = WorkerContext(
        worker_id=0,
        config=config,
        shared_model=model,
        optimizer=SharedAdam(model.parameters(), lr=config.learning_rate),
        steps=StepCounter(context_mp.Value("q", 0)),
        stop_event=context_mp.Event(),
        connection=writer,
        start_time=time.monotonic(),
    )
    before = [p.detach().clone() for p in model.parameters()]
    threads = torch.get_num_threads()
    try:
        sent = run_worker(context)  # a worker pins torch to one thread
    finally:
        torch.set_num_threads(threads)
    writer.close()
    messages = []
    with contextlib.suppress(EOFError):
        while True:
            messages.append(reader.recv())
    assert context.steps.value == 200
    assert all(isinstance(message, RolloutReport) for message in messages)
    segments = [segment for message in messages for segment, _ in message.segments]
    moved = any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    if memory == "none":
        assert sent == 0 and not segments and moved
    else:
        assert sent == len(segments) > 0 and not moved, "only the learner updates the model"
        assert sum(int(segment.valid.sum()) for segment in segments) == 200
