"""Saving and loading a run: weights, optimizer state, step counters, config, replay buffer.

Checkpoints are written atomically (to a temporary file, then renamed over the old one), so
a run killed in the middle of writing still leaves the last complete checkpoint.

Explained in notebooks/01_a3c_basics.ipynb (section "Checkpoints").
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.atomic import atomic_path
from a3cmem_lib.training.config import TrainConfig

_ARRAY_TAG = "__ndarray__"


@dataclass
class Checkpoint:
    """The contents of a checkpoint file."""

    model_state: dict[str, torch.Tensor]
    """``state_dict()`` of the global model."""
    optimizer_state: dict[str, Any]
    """``state_dict()`` of the shared optimizer (moments and step counts)."""
    global_step: int
    """Environment steps taken by all workers so far."""
    episodes: int
    """Episodes finished by all workers so far."""
    obs_dim: int
    """Observation length the model was built for (for images, H · W · C)."""
    n_actions: int
    """Number of discrete actions the model was built for."""
    config: TrainConfig
    """The configuration of the run that wrote the checkpoint."""
    memory_state: dict[str, Any] | None = None
    """The replay buffer's ``state_dict()`` (items, priorities, dedup keys, sampling RNG) of
    a memory-layer run; ``None`` for plain A3C."""
    obs_shape: tuple[int, ...] | None = None
    """Observation shape the model was built for, ``(obs_dim,)`` or ``(H, W, C)``
    (``None`` when constructed: ``(obs_dim,)``)."""

    def __post_init__(self) -> None:
        self.obs_shape = (self.obs_dim,) if self.obs_shape is None else tuple(self.obs_shape)

    def build_model(self) -> ActorCriticModel:
        """A CPU actor-critic with the checkpoint's architecture and weights."""
        model = self.config.build_model(self.obs_shape, self.n_actions)
        model.load_state_dict(self.model_state)
        return model


def save_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically with :func:`torch.save`.

    Raises:
        OSError: ``path`` cannot be written (no space, read-only, no permission); its
            ``filename`` is ``path``, the file there before is left as it was and no
            temporary file is left behind.

    Only tensors and plain Python types are stored (numpy arrays of the replay buffer as
    bytes with their dtype and shape), so :func:`load_checkpoint` can use
    ``weights_only=True``, which never runs code from the file.
    """
    path = Path(path)
    contents = {
        "model_state": checkpoint.model_state,
        "optimizer_state": checkpoint.optimizer_state,
        "global_step": checkpoint.global_step,
        "episodes": checkpoint.episodes,
        "obs_dim": checkpoint.obs_dim,
        "n_actions": checkpoint.n_actions,
        "config": checkpoint.config.to_dict(),
        "memory_state": _encode(checkpoint.memory_state),
        "obs_shape": list(checkpoint.obs_shape),
    }
    serialized = io.BytesIO()  # in memory first: a full disk is then a plain OSError
    torch.save(contents, serialized)
    with atomic_path(path) as temporary:
        temporary.write_bytes(serialized.getbuffer())


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, onto the CPU.

    Raises:
        FileNotFoundError: there is no file at ``path``.
        ValueError: the file is not a checkpoint of this library (the message says why).
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"no checkpoint file at {str(path)!r}")
    try:
        with warnings.catch_warnings():  # torch warns about some malformed files
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # reading arbitrary bytes can fail in many ways
        raise ValueError(
            f"{str(path)!r} is not a readable a3cmem checkpoint ({_load_failure(error)})"
        ) from None
    expected = {"model_state", "optimizer_state", "global_step", "episodes", "obs_dim"}
    if not isinstance(data, dict) or not expected <= set(data):
        raise ValueError(f"{str(path)!r} is not an a3cmem checkpoint (missing its fields)")
    try:
        data["config"] = TrainConfig.from_dict(data["config"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r} holds an invalid TrainConfig: {error}") from None
    data["memory_state"] = _decode(data.get("memory_state"))
    return Checkpoint(**data)


def _load_failure(error: Exception) -> str:
    """Why torch could not read a file, in words (never torch's advice to unpickle it
    unsafely with ``weights_only=False``)."""
    if "weights_only" in str(error):
        return "it holds Python objects that a checkpoint never contains"
    if isinstance(error, (EOFError, KeyError, IndexError)) or not str(error).strip():
        return "not a torch file, or a truncated one"
    return str(error).strip().splitlines()[0]


def _encode(value: Any) -> Any:
    """``value`` with every numpy array replaced by a dict of its bytes, dtype and shape."""
    if isinstance(value, np.ndarray):
        return {_ARRAY_TAG: value.tobytes(), "dtype": value.dtype.str, "shape": value.shape}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_encode(item) for item in value)
    return value


def _decode(value: Any) -> Any:
    """Inverse of :func:`_encode`."""
    if isinstance(value, dict):
        if _ARRAY_TAG in value:
            array = np.frombuffer(value[_ARRAY_TAG], dtype=np.dtype(value["dtype"]))
            return array.reshape(value["shape"]).copy()
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_decode(item) for item in value)
    return value
