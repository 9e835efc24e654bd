"""Every hyperparameter of an A3C run, in one dataclass with documented defaults.

Explained in notebooks/01_a3c_basics.ipynb (section "Hyperparameters").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from a3cmem_lib.agent.model import ActorCriticModel, build_actor_critic
from a3cmem_lib.memory import REPLAY_MEMORIES
from a3cmem_lib.training.backends import BACKENDS as BACKEND_MODULES
from a3cmem_lib.training.options import option

MEMORY_KINDS = ("none", *REPLAY_MEMORIES)
"""Values of ``TrainConfig.memory``: ``none`` is plain A3C, the rest name the replay buffer
(:data:`a3cmem_lib.memory.REPLAY_MEMORIES`)."""

DEDUP_KEYS = ("experience", "state-action")
"""What makes two segments duplicates: ``experience`` compares everything the environment
produced (states, actions, rewards, the bootstrap state and the terminal flag) and ignores
the behaviour policy's log-probabilities, which change with every update; ``state-action``
compares only the states and actions."""

START_METHODS = ("spawn", "fork", "forkserver")
OPTIMIZERS = ("adam", "rmsprop")
ACTIVATIONS = ("tanh", "relu")
BACKENDS = tuple(BACKEND_MODULES)
"""Values of ``TrainConfig.backend``: worker processes on this machine, or Ray actors
(:mod:`a3cmem_lib.training.backends`)."""


@dataclass
class TrainConfig:
    """Configuration of :func:`a3cmem_lib.training.train`.

    Invalid values raise ``TypeError`` (wrong type) or ``ValueError`` (out of range) naming
    the field, at construction and again in :meth:`validate`. The defaults solve
    CartPole-v1 with 2 workers on 2 CPU cores.

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    env_id: str = option(
        "CartPole-v1", "gymnasium environment id", name="--env", group="run", fits="model"
    )
    """Gymnasium id of an environment with a 1-D ``Box`` observation and ``Discrete`` actions."""
    num_workers: int = option(2, "processes", name="--workers")
    """Number of asynchronous worker processes (each with its own environment), >= 1."""
    total_steps: int = option(500_000, "env steps", name="--steps", group="run")
    """Stop once the global environment-step counter reaches this (all workers together).
    Each worker finishes its current rollout, so the run can overshoot by at most
    ``num_workers * t_max`` steps."""
    seed: int = option(0, "base seed (worker i uses seed + i)", group="run")
    """Base seed, >= 0: the model init uses ``seed``; worker ``i`` seeds torch, its action
    sampler (numpy), its environment and its action space with ``seed + i`` (plus the global
    step when resuming). With one worker a seeded run is bit-reproducible."""
    t_max: int = option(10, "steps per rollout")
    """Environment steps per rollout, i.e. per gradient update of each worker (>= 1)."""
    gamma: float = option(0.99, "discount factor")
    """Discount factor, in [0, 1]."""
    gae_lambda: float = option(1.0, "GAE lambda")
    """GAE lambda in [0, 1]; 1.0 is the paper's n-step advantage, 0.0 the one-step TD error."""
    learning_rate: float = option(3e-3, "learning rate", name="--lr")
    """Initial learning rate of the shared optimizer, > 0."""
    anneal_lr: bool = option(True, "decay the learning rate linearly to 0")
    """Decay the learning rate linearly to 0 at ``total_steps`` (as in the A3C paper)."""
    optimizer: str = option("adam", "shared optimizer", choices=OPTIMIZERS, fits="model")
    """Shared optimizer: ``"adam"`` (SharedAdam) or ``"rmsprop"`` (SharedRMSprop, the paper's)."""
    value_coef: float = option(0.5, "value-loss weight")
    """Weight of the value loss in the total loss, >= 0."""
    entropy_coef: float = option(0.01, "entropy-bonus weight")
    """Weight of the entropy bonus in the total loss, >= 0."""
    max_grad_norm: float = option(0.5, "gradient clip norm")
    """Clip each worker's gradient to this global L2 norm before applying it, > 0."""
    hidden_sizes: tuple[int, ...] = option((128,), "widths of the hidden layers", fits="model")
    """Widths of the shared trunk's hidden layers (vector observations: the MLP
    :class:`~a3cmem_lib.agent.ActorCritic`)."""
    activation: str = option("tanh", "trunk activation", choices=ACTIVATIONS, fits="model")
    """Trunk activation of the MLP: ``"tanh"`` or ``"relu"``."""
    conv_channels: int = option(16, "conv net: channels", fits="model")
    """Image observations (H, W, C) get :class:`~a3cmem_lib.agent.ConvActorCritic`, the
    MinAtar paper's network: one convolution with this many output channels, ..."""
    conv_kernel: int = option(3, "conv net: kernel size", fits="model")
    """... this kernel size (stride 1, no padding; at most H and W), ..."""
    conv_hidden: int = option(128, "conv net: hidden units", fits="model")
    """... then one fully connected ReLU layer of this many units before the heads."""
    start_method: str | None = option(None, "multiprocessing start method", choices=START_METHODS)
    """Multiprocessing start method: ``"spawn"``, ``"fork"``, ``"forkserver"``, or ``None``
    for the platform default."""
    progress: bool = option(True, "show a progress bar")
    """Show a tqdm progress bar (steps, episodes, mean return of the last 100 episodes)."""
    stop_return: float | None = option(None, "stop when the 100-episode mean hits it")
    """If set, stop early once the mean return of the last 100 episodes reaches it
    (CartPole-v1 counts as solved at 475)."""
    resume_from: str | None = option(None, "checkpoint.pt to continue training from")
    """Path of a checkpoint (see :mod:`a3cmem_lib.training.checkpoint`) to continue from:
    weights, optimizer state, step counters and, for a memory-layer run, the replay buffer
    (items, priorities, dedup keys) are restored; ``total_steps`` stays absolute."""
    checkpoint_every: int | None = option(
        None,
        "also write the three output files every STEPS environment steps",
        group="run",
        metavar="STEPS",
    )
    """If set (>= 1), write a checkpoint to ``checkpoint_path`` every time the global step
    passes another multiple of it, and when training is interrupted (atomically: a kill
    mid-write leaves the previous checkpoint intact)."""
    checkpoint_path: str | None = None
    """Where periodic checkpoints go; ``None``: ``checkpoint.pt`` in
    :meth:`default_out_dir`, the folder the CLI writes to by default."""
    backend: str = option(
        "local",
        "local: worker processes here; ray: Ray actors (pip install 'a3cmem[ray]')",
        choices=BACKENDS,
        group="run",
    )
    """``"local"``: worker processes on this machine around a model in shared memory;
    ``"ray"``: workers and the learner as Ray actors (``pip install "a3cmem[ray]"``; see
    :mod:`a3cmem_lib.training.backends.ray` and notebooks/08_scaling_out.ipynb)."""
    ray_address: str | None = option(
        None,
        "with --backend ray: a running Ray cluster to join (default: start Ray here)",
        name="--address",
        group="run",
    )
    """With ``backend="ray"``: the address of a running Ray cluster to join (what
    ``ray start --head`` prints, e.g. ``"192.168.0.2:6379"``, or ``"auto"``); ``None``
    starts a Ray instance on this machine, or reuses the one this process already runs."""
    tensorboard_dir: str | None = option(
        None,
        "write TensorBoard scalars into this folder (pip install 'a3cmem[tensorboard]')",
        name="--tensorboard",
        group="run",
        metavar="DIR",
    )
    """If set, the training process writes TensorBoard scalars into this folder (created if
    missing) as the run goes: CleanRL's names (``charts/episodic_return``,
    ``charts/episodic_length``, ``charts/SPS``, ``charts/learning_rate``,
    ``losses/policy_loss``, ``losses/value_loss``, ``losses/entropy``) and the memory
    layer's (``memory/replay_ratio``, ``memory/mean_rho``, ``memory/clipped_fraction``,
    ``memory/policy_lag``, ``memory/buffer_size``); see
    :mod:`a3cmem_lib.training.scalars`. Needs ``pip install "a3cmem[tensorboard]"``."""

    # -- the memory layer (notebooks/05_async_training_with_memory.ipynb) --------------------
    memory: str = option(
        "none", "replay memory, or none", choices=MEMORY_KINDS, group="run", fits="memory"
    )
    """``"none"``: plain A3C, every worker applies its own gradients. Otherwise workers push
    segments of experience (up to ``t_max`` steps of one episode, with the behaviour
    policy's log-probabilities) into a replay buffer the learner owns: ``"fifo"``,
    ``"per"`` (prioritized), ``"fifo+dedup"`` or ``"per+dedup"`` (deduplicating)."""
    capacity: int = option(5_000, "segments the buffer holds", group="memory", fits="memory")
    """Segments the replay buffer holds (>= 1); the oldest is overwritten first."""
    alpha: float = option(0.6, "PER prioritization exponent", group="memory", fits="memory")
    """Prioritization exponent α of ``per`` memories, in [0, 1] (0 samples uniformly)."""
    beta: float = option(0.4, "PER initial IS exponent (annealed to 1)", group="memory")
    """Initial importance-sampling exponent β of ``per`` memories, in [0, 1]; it is
    annealed linearly to 1 at ``total_steps``."""
    dedup_key: str = option(
        "experience", "what makes duplicates", choices=DEDUP_KEYS, group="memory", fits="memory"
    )
    """What makes two segments duplicates in ``+dedup`` memories: ``"experience"`` (all the
    environment produced; behaviour log-probabilities ignored) or ``"state-action"``."""
    dedup_decimals: int | None = option(
        None, "round floats before the dedup key", group="memory", fits="memory"
    )
    """Round float fields to this many decimals before the dedup key is taken (``None``:
    exact). Near-duplicates in continuous spaces then count as duplicates."""
    batch_size: int = option(32, "segments per learner update", group="memory")
    """Segments per learner update (>= 1); learning starts once the buffer holds a batch."""
    replay_ratio: float = option(4.0, "samples per pushed segment", group="memory")
    """Segments the learner samples per segment pushed (> 0): each experience is replayed
    this many times on average, i.e. ``replay_ratio / batch_size`` updates per segment."""
    fresh_fraction: float = option(
        0.0,
        "share of each learner batch taken from the newest untrained segments (LASER)",
        group="memory",
    )
    """LASER-style mixture (Schmitt et al., 2020), in [0, 1]: the share of every learner
    batch taken from segments received since the last update and not trained on yet (up
    to ``round(fresh_fraction * batch_size)`` of the most recent ones; the rest of the batch
    is sampled from the buffer). Every segment is stored in the buffer too, so one not taken
    fresh is still replayed. 0 (the default) samples whole batches from the buffer."""
    hybrid: bool = option(False, "workers also apply their on-policy A3C gradients", group="memory")
    """Workers also apply their own on-policy A3C gradients (ACER-style), besides the
    learner's replay updates. Only with a memory."""
    rho_bar: float = option(1.0, "V-trace rho-bar", group="memory")
    """V-trace truncation ρ̄ of the importance ratios π/μ in the learner (> 0)."""
    c_bar: float = option(1.0, "V-trace c-bar", group="memory")
    """V-trace truncation c̄ of the trace-cutting ratios (> 0)."""
    off_policy_correction: bool = option(
        True, "V-trace importance ratios in the learner", group="memory"
    )
    """Correct replayed experience with V-trace importance ratios. ``False`` treats it as
    on-policy (ratios 1), as the original article's code did: kept to show why the
    correction matters."""

    def __post_init__(self) -> None:
        if isinstance(self.hidden_sizes, list):
            self.hidden_sizes = tuple(self.hidden_sizes)
        self.validate()

    def validate(self) -> None:
        """Raise ``TypeError``/``ValueError`` naming the first invalid field."""
        _check_type("env_id", self.env_id, str)
        if not self.env_id:
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
            value = getattr(self, name)
            _check_type(name, value, int)
            if value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        for name, low, high in (("gamma", 0.0, 1.0), ("gae_lambda", 0.0, 1.0)):
            value = _check_float(name, getattr(self, name))
            if not low <= value <= high:
                raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
        for name in ("learning_rate", "max_grad_norm"):
            value = _check_float(name, getattr(self, name))
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        for name in ("value_coef", "entropy_coef"):
            value = _check_float(name, getattr(self, name))
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        for name in ("anneal_lr", "progress"):
            _check_type(name, getattr(self, name), bool)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("activation", self.activation, ACTIVATIONS)
        if self.start_method is not None:
            _check_choice("start_method", self.start_method, START_METHODS)
        _check_type("hidden_sizes", self.hidden_sizes, tuple)
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in self.hidden_sizes):
            raise ValueError(
                f"hidden_sizes must be a tuple of ints >= 1, got {self.hidden_sizes!r}"
            )
        if self.stop_return is not None:
            _check_float("stop_return", self.stop_return)
        for name in ("resume_from", "checkpoint_path"):
            if getattr(self, name) is not None:
                _check_type(name, getattr(self, name), str)
        if self.checkpoint_every is not None:
            _check_type("checkpoint_every", self.checkpoint_every, int)
            if self.checkpoint_every < 1:
                raise ValueError(
                    f"checkpoint_every must be an int >= 1 or None, got {self.checkpoint_every!r}"
                )
        _check_choice("backend", self.backend, BACKENDS)
        if self.ray_address is not None:
            _check_type("ray_address", self.ray_address, str)
            if self.backend != "ray":
                raise ValueError(f"ray_address needs backend='ray', got backend={self.backend!r}")
        if self.tensorboard_dir is not None:
            _check_type("tensorboard_dir", self.tensorboard_dir, str)
        self._validate_memory()

    def _validate_memory(self) -> None:
        _check_choice("memory", self.memory, MEMORY_KINDS)
        _check_choice("dedup_key", self.dedup_key, DEDUP_KEYS)
        for name in ("capacity", "batch_size"):
            value = getattr(self, name)
            _check_type(name, value, int)
            if value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.dedup_decimals is not None:
            _check_type("dedup_decimals", self.dedup_decimals, int)
        for name in ("alpha", "beta", "fresh_fraction"):
            value = _check_float(name, getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        for name in ("replay_ratio", "rho_bar", "c_bar"):
            value = _check_float(name, getattr(self, name))
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        for name in ("hybrid", "off_policy_correction"):
            _check_type(name, getattr(self, name), bool)
        if self.hybrid and self.memory == "none":
            raise ValueError(
                "hybrid needs a memory: set memory to one of "
                f"{list(MEMORY_KINDS[1:])}, or hybrid=False"
            )
        if self.fresh_fraction > 0 and self.memory == "none":
            raise ValueError(
                "fresh_fraction needs a memory: set memory to one of "
                f"{list(MEMORY_KINDS[1:])}, or fresh_fraction=0.0"
            )
        if self.fresh_fraction > 0 and self.fresh_per_batch == 0:
            raise ValueError(
                f"fresh_fraction ({self.fresh_fraction}) times batch_size ({self.batch_size}) "
                "must round to >= 1 segment, or fresh_fraction must be 0.0"
            )
        if self.memory != "none" and self.batch_size > self.capacity:
            raise ValueError(
                f"batch_size ({self.batch_size}) must be <= capacity ({self.capacity})"
            )

    @property
    def fresh_per_batch(self) -> int:
        """Fresh segments a learner batch takes at most: ``round(fresh_fraction *
        batch_size)``."""
        return round(self.fresh_fraction * self.batch_size)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (what checkpoints store)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``TypeError`` naming them."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown TrainConfig fields: {sorted(unknown)}")
        return cls(**values)

    def default_out_dir(self) -> Path:
        """``runs/<env_id>-seed<seed>``: where the CLI writes a run unless told otherwise."""
        return Path("runs") / f"{self.env_id}-seed{self.seed}"

    def periodic_checkpoint_path(self) -> Path:
        """Where periodic checkpoints go: ``checkpoint_path`` or its default."""
        if self.checkpoint_path is not None:
            return Path(self.checkpoint_path)
        return self.default_out_dir() / "checkpoint.pt"

    def build_model(self, obs_shape: int | tuple[int, ...], n_actions: int) -> ActorCriticModel:
        """A freshly initialised actor-critic with this config's architecture, chosen from the
        observation shape: ``(obs_dim,)`` (or an int) → the MLP :class:`ActorCritic`,
        ``(H, W, C)`` → :class:`ConvActorCritic`."""
        shape = (obs_shape,) if isinstance(obs_shape, int) else tuple(obs_shape)
        return build_actor_critic(
            shape,
            n_actions,
            hidden_sizes=self.hidden_sizes,
            activation=self.activation,
            conv_channels=self.conv_channels,
            conv_kernel=self.conv_kernel,
            conv_hidden=self.conv_hidden,
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
