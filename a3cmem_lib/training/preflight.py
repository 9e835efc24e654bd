"""What a run checks and builds before any worker starts, for every backend: the
environment's spaces, the checkpoint to resume from, the model and its optimizer.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

import torch

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.agent.shared_adam import SharedAdam
from a3cmem_lib.agent.shared_optim import SharedOptimizer
from a3cmem_lib.agent.shared_rmsprop import SharedRMSprop
from a3cmem_lib.envs import make_env, space_shapes
from a3cmem_lib.training.checkpoint import Checkpoint, load_checkpoint
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.errors import SetupError
from a3cmem_lib.training.options import fields_that_fit

MODEL_FIELDS = fields_that_fit(TrainConfig, "model")
"""The fields a checkpoint's model and optimizer were made with (``fits="model"``)."""
MEMORY_FIELDS = fields_that_fit(TrainConfig, "memory")
"""The fields a checkpoint's replay buffer was made with (``fits="memory"``)."""


def check_environment(env_id: str) -> tuple[tuple[int, ...], int]:
    """``(obs_shape, n_actions)`` of ``env_id``, or a :class:`SetupError` saying what is
    wrong."""
    try:
        env = make_env(env_id)
    except ValueError as error:
        raise SetupError(str(error)) from None
    try:
        return space_shapes(env)
    finally:
        env.close()


def read_resume_checkpoint(
    config: TrainConfig, obs_shape: tuple[int, ...], n_actions: int
) -> Checkpoint | None:
    """The checkpoint ``config.resume_from`` names, checked to fit ``config`` and the
    environment; ``None`` without ``resume_from``. Raises :class:`SetupError` naming
    ``resume_from`` and the mismatch."""
    if config.resume_from is None:
        return None
    try:
        checkpoint = load_checkpoint(config.resume_from)
    except (OSError, ValueError) as error:
        raise SetupError(f"resume_from: {error}") from None
    saved = checkpoint.config
    mismatches = [
        f"{name} {mine!r} (the checkpoint has {theirs!r})"
        for name, mine, theirs in (
            *((name, getattr(config, name), getattr(saved, name)) for name in MODEL_FIELDS),
            ("obs_shape", obs_shape, checkpoint.obs_shape),
            ("n_actions", n_actions, checkpoint.n_actions),
        )
        if mine != theirs
    ]
    if checkpoint.memory_state is not None and config.memory != "none":
        for name in MEMORY_FIELDS:
            mine, theirs = getattr(config, name), getattr(saved, name)
            if mine != theirs:
                mismatches.append(f"{name} {mine!r} (the checkpoint's buffer has {theirs!r})")
    if mismatches:
        raise SetupError(
            f"resume_from: {config.resume_from!r} does not fit this run: " + "; ".join(mismatches)
        )
    return checkpoint


def build_model_and_optimizer(
    config: TrainConfig,
    obs_shape: tuple[int, ...],
    n_actions: int,
    resumed: Checkpoint | None = None,
) -> tuple[ActorCriticModel, SharedOptimizer]:
    """The run's global model (initialised with ``config.seed``, the caller's torch random
    state left untouched) and its optimizer (``SharedAdam`` with the fused kernel, or
    ``SharedRMSprop``), both continuing ``resumed`` when given. The local backend then puts
    the model in shared memory; the Ray learner actor keeps it."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = config.build_model(obs_shape, n_actions)
    if config.optimizer == "adam":
        optimizer: SharedOptimizer = SharedAdam(
            model.parameters(), lr=config.learning_rate, fused=True
        )
    else:
        optimizer = SharedRMSprop(model.parameters(), lr=config.learning_rate)
    if resumed is not None:
        model.load_state_dict(resumed.model_state)
        optimizer.load_state_dict(resumed.optimizer_state)
    return model, optimizer
