"""Saving and loading a run: weights, optimizer state, step counters and config.

Explained in notebooks/01_a3c_basics.ipynb (section "Checkpoints").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.training.config import TrainConfig


@dataclass
class Checkpoint:
    """The contents of a checkpoint file."""

    model_state: dict[str, torch.Tensor]
    """``ActorCritic.state_dict()`` of the global model."""
    optimizer_state: dict[str, Any]
    """``state_dict()`` of the shared optimizer (moments and step counts)."""
    global_step: int
    """Environment steps taken by all workers so far."""
    episodes: int
    """Episodes finished by all workers so far."""
    obs_dim: int
    """Observation length the model was built for."""
    n_actions: int
    """Number of discrete actions the model was built for."""
    config: TrainConfig
    """The configuration of the run that wrote the checkpoint."""

    def build_model(self) -> ActorCritic:
        """A CPU :class:`ActorCritic` with the checkpoint's architecture and weights."""
        model = self.config.build_model(self.obs_dim, self.n_actions)
        model.load_state_dict(self.model_state)
        return model


def save_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` with :func:`torch.save` (tensors and plain types only,
    so :func:`load_checkpoint` can use ``weights_only=True``)."""
    torch.save(
        {
            "model_state": checkpoint.model_state,
            "optimizer_state": checkpoint.optimizer_state,
            "global_step": checkpoint.global_step,
            "episodes": checkpoint.episodes,
            "obs_dim": checkpoint.obs_dim,
            "n_actions": checkpoint.n_actions,
            "config": checkpoint.config.to_dict(),
        },
        path,
    )


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, onto the CPU."""
    data = torch.load(path, map_location="cpu", weights_only=True)
    data["config"] = TrainConfig.from_dict(data["config"])
    return Checkpoint(**data)
