"""The checks of a :class:`~a3cmem_lib.training.config.TrainConfig`: each invalid field
raises ``TypeError`` (wrong type) or ``ValueError`` (out of range) naming it and what it
may be; the command line turns them into one-line errors naming the flag.

Explained in notebooks/01_a3c_basics.ipynb (section "Hyperparameters").
"""

from __future__ import annotations

import math
from typing import Any

from a3cmem_lib.training.choices import (
    ACTIVATIONS,
    BACKENDS,
    DEDUP_KEYS,
    LEARNERS,
    MEMORY_KINDS,
    OPTIMIZERS,
    START_METHODS,
)


def validate_config(config: Any) -> None:
    """Raise ``TypeError``/``ValueError`` naming the first invalid field of ``config``, a
    :class:`~a3cmem_lib.training.config.TrainConfig` (this module is what it imports, so it
    cannot import it back)."""
    _check_type("env_id", config.env_id, str)
    if not config.env_id:
        raise ValueError("env_id must be a non-empty gymnasium id, got ''")
    for name, low in (
        ("num_workers", 1),
        ("total_steps", 1),
        ("t_max", 1),
        ("seed", 0),
        ("conv_channels", 1),
        ("conv_kernel", 1),
        ("conv_hidden", 1),
    ):
        value = getattr(config, name)
        _check_type(name, value, int)
        if value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    for name, low, high in (("gamma", 0.0, 1.0), ("gae_lambda", 0.0, 1.0)):
        value = _check_float(name, getattr(config, name))
        if not low <= value <= high:
            raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    for name in ("learning_rate", "max_grad_norm"):
        value = _check_float(name, getattr(config, name))
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    for name in ("value_coef", "entropy_coef"):
        value = _check_float(name, getattr(config, name))
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
    for name in ("anneal_lr", "progress"):
        _check_type(name, getattr(config, name), bool)
    _check_choice("optimizer", config.optimizer, OPTIMIZERS)
    _check_choice("activation", config.activation, ACTIVATIONS)
    if config.start_method is not None:
        _check_choice("start_method", config.start_method, START_METHODS)
    _check_type("hidden_sizes", config.hidden_sizes, tuple)
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in config.hidden_sizes):
        raise ValueError(f"hidden_sizes must be a tuple of ints >= 1, got {config.hidden_sizes!r}")
    if config.stop_return is not None:
        _check_float("stop_return", config.stop_return)
    for name in ("resume_from", "checkpoint_path"):
        if getattr(config, name) is not None:
            _check_type(name, getattr(config, name), str)
    if config.checkpoint_every is not None:
        _check_type("checkpoint_every", config.checkpoint_every, int)
        if config.checkpoint_every < 1:
            raise ValueError(
                f"checkpoint_every must be an int >= 1 or None, got {config.checkpoint_every!r}"
            )
    _check_choice("backend", config.backend, BACKENDS)
    if config.ray_address is not None:
        _check_type("ray_address", config.ray_address, str)
        if config.backend != "ray":
            raise ValueError(f"ray_address needs backend='ray', got backend={config.backend!r}")
    if config.tensorboard_dir is not None:
        _check_type("tensorboard_dir", config.tensorboard_dir, str)
    _validate_memory(config)
    _validate_learner(config)


def _validate_memory(config: Any) -> None:
    _check_choice("memory", config.memory, MEMORY_KINDS)
    _check_choice("dedup_key", config.dedup_key, DEDUP_KEYS)
    for name in ("capacity", "batch_size"):
        value = getattr(config, name)
        _check_type(name, value, int)
        if value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if config.dedup_decimals is not None:
        _check_type("dedup_decimals", config.dedup_decimals, int)
    for name in ("alpha", "beta", "fresh_fraction"):
        value = _check_float(name, getattr(config, name))
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    replay_ratio = _check_float("replay_ratio", config.replay_ratio)
    if config.workers_learn and config.memory != "none":
        if not replay_ratio >= 0:
            raise ValueError(
                f"replay_ratio must be >= 0 when the workers learn on-policy, got {replay_ratio!r}"
            )
    elif not replay_ratio > 0:
        raise ValueError(
            f"replay_ratio must be > 0 (0 only with workers that learn on-policy: hybrid=True "
            f"or learner='acer'), got {replay_ratio!r}"
        )
    for name in ("rho_bar", "c_bar"):
        value = _check_float(name, getattr(config, name))
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    for name in ("hybrid", "off_policy_correction"):
        _check_type(name, getattr(config, name), bool)
    if config.hybrid and config.memory == "none":
        raise ValueError(
            f"hybrid needs a memory: set memory to one of {list(MEMORY_KINDS[1:])}, or hybrid=False"
        )
    if config.fresh_fraction > 0 and config.memory == "none":
        raise ValueError(
            "fresh_fraction needs a memory: set memory to one of "
            f"{list(MEMORY_KINDS[1:])}, or fresh_fraction=0.0"
        )
    if config.fresh_fraction > 0 and config.fresh_per_batch == 0:
        raise ValueError(
            f"fresh_fraction ({config.fresh_fraction}) times batch_size ({config.batch_size}) "
            "must round to >= 1 segment, or fresh_fraction must be 0.0"
        )
    if config.memory != "none" and config.batch_size > config.capacity:
        raise ValueError(
            f"batch_size ({config.batch_size}) must be <= capacity ({config.capacity})"
        )


def _validate_learner(config: Any) -> None:
    _check_choice("learner", config.learner, LEARNERS)
    _check_type("trust_region", config.trust_region, bool)
    for name, meaning in (("acer_truncation", "c"), ("trust_region_delta", "δ")):
        value = _check_float(name, getattr(config, name))
        if not value > 0:
            raise ValueError(f"{name} ({meaning}) must be > 0, got {value!r}")
    decay = _check_float("average_decay", config.average_decay)
    if not 0.0 < decay < 1.0:
        raise ValueError(f"average_decay (α) must be in (0, 1), exclusive, got {decay!r}")
    if config.learner != "acer":
        return
    if config.memory == "none":
        raise ValueError(
            "learner='acer' needs a replay memory: set memory to one of "
            f"{list(MEMORY_KINDS[1:])} (default 'fifo'), or learner='vtrace'"
        )
    if config.backend != "local":
        raise ValueError(
            f"learner='acer' runs on backend='local' only, got backend={config.backend!r}"
        )
    if config.fresh_fraction > 0:
        raise ValueError(
            "fresh_fraction is a V-trace mixture: with learner='acer' it must be 0.0, "
            f"got {config.fresh_fraction!r}"
        )


def _check_type(name: str, value: Any, kind: type) -> None:
    # bool is a subclass of int, but True is never a sensible worker count.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name} must be of type {kind.__name__}, got {type(value).__name__}")


def _check_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
