"""Shared fixtures.

- Replay-memory tests: items that identify themselves by number, and a deep comparison of
  checkpoints (to prove that a failed call changed nothing). These are session-scoped (they
  hand out pure functions), so hypothesis tests can use them.
- Training tests: ``no_leftovers`` fails a test that leaves a child process or a /dev/shm
  segment behind; ``cartpole_checkpoint`` is a valid checkpoint file made without training.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from multiprocessing import forkserver, resource_tracker
from typing import Any

import numpy as np
import pytest

from a3cmem_lib.memory import Transition

# A shell starts background jobs (`make test &`, CI runners without a terminal) with SIGINT
# ignored, and children inherit that. The fault tests press Ctrl-C for real, so give this
# process Python's usual KeyboardInterrupt handler; processes it starts then get the default
# action back at exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

OBS_DIM = 3


def make_item(i: int) -> Transition:
    """Item number ``i``: state float32 (3,) filled with ``i``, so ``state[0]`` names it."""
    return Transition(
        state=np.full(OBS_DIM, i, dtype=np.float32),
        action=int(i % 4),
        reward=float(i) / 2,
        next_state=np.full(OBS_DIM, i + 1, dtype=np.float32),
        done=bool(i % 5 == 0),
    )


def make_batch(ids: Any) -> Transition:
    """Items ``ids`` batched along axis 0 (the same values as :func:`make_item`)."""
    ids = np.asarray(ids, dtype=np.int64)
    return Transition(
        state=np.repeat(ids[:, None], OBS_DIM, axis=1).astype(np.float32),
        action=ids % 4,
        reward=ids / 2,
        next_state=np.repeat(ids[:, None] + 1, OBS_DIM, axis=1).astype(np.float32),
        done=ids % 5 == 0,
    )


def assert_same_state(a: Any, b: Any, path: str = "state") -> None:
    """Recursively assert two checkpoints are equal, arrays bit-exact with the same dtype."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), path
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert a.tobytes() == b.tobytes(), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            assert_same_state(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_state(x, y, f"{path}[{n}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="session")
def item():
    return make_item


@pytest.fixture(scope="session")
def batch():
    return make_batch


@pytest.fixture(scope="session")
def same_state():
    return assert_same_state


def _child_pids():
    """Live children of this process, read from /proc (no psutil), excluding multiprocessing's
    own long-lived helpers, the resource tracker and (once a run used the ``forkserver``
    start method) the fork server, which outlive every run by design."""
    helpers = {
        getattr(resource_tracker._resource_tracker, "_pid", None),
        getattr(forkserver._forkserver, "_forkserver_pid", None),
    }
    children = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, parent = fields[0], int(fields[1])
        if parent == os.getpid() and state != "Z" and int(entry) not in helpers:
            children.add(int(entry))
    return children


@pytest.fixture
def no_leftovers():
    """Fail the test if train() leaves a child process or a /dev/shm segment behind."""
    shm_before = set(os.listdir("/dev/shm"))
    yield
    gc.collect()
    assert multiprocessing.active_children() == []
    assert _child_pids() == set()
    assert set(os.listdir("/dev/shm")) - shm_before == set()


@pytest.fixture
def cartpole_checkpoint(tmp_path):
    """Path of a checkpoint of an untrained CartPole-v1 model (default TrainConfig) at global
    step 100: written directly, without training, for tests that only need a valid file."""
    # Imported here: the replay-memory tests need neither torch nor the training package.
    from a3cmem_lib.training import Checkpoint, TrainConfig, save_checkpoint

    config = TrainConfig()
    path = tmp_path / "cartpole-checkpoint.pt"
    model = config.build_model(4, 2)
    checkpoint = Checkpoint(
        model_state=model.state_dict(),
        optimizer_state={},
        global_step=100,
        episodes=5,
        obs_dim=4,
        n_actions=2,
        config=config,
    )
    save_checkpoint(path, checkpoint)
    return path
