"""Every hyperparameter of an A3C run, in one dataclass with documented defaults.

Explained in notebooks/01_a3c_basics.ipynb (section "Hyperparameters").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from a3cmem_lib.agent.model import ActorCriticModel, build_actor_critic
from a3cmem_lib.training.choices import (
    ACTIVATIONS,
    BACKENDS,
    DEDUP_KEYS,
    LEARNER_DEFAULTS,
    LEARNERS,
    MEMORY_KINDS,
    OPTIMIZERS,
    START_METHODS,
)
from a3cmem_lib.training.options import option
from a3cmem_lib.training.validation import validate_config

__all__ = [
    "ACTIVATIONS",
    "BACKENDS",
    "DEDUP_KEYS",
    "LEARNER_DEFAULTS",
    "LEARNERS",
    "MEMORY_KINDS",
    "OPTIMIZERS",
    "START_METHODS",
    "TrainConfig",
]


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
    learning_rate: float | None = option(None, "learning rate", name="--lr")
    """Initial learning rate of the shared optimizer, > 0. ``None`` (the default) becomes
    0.003, or 0.005 with ``learner="acer"``
    (:data:`~a3cmem_lib.training.choices.LEARNER_DEFAULTS`)."""
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
    memory: str | None = option(
        None,
        "replay memory, or none",
        choices=MEMORY_KINDS,
        group="run",
        fits="memory",
    )
    """``"none"``: plain A3C, every worker applies its own gradients. Otherwise workers push
    segments of experience (up to ``t_max`` steps of one episode, with the behaviour
    policy's log-probabilities) into a replay buffer the learner owns: ``"fifo"``,
    ``"per"`` (prioritized), ``"fifo+dedup"`` or ``"per+dedup"`` (deduplicating).
    ``None`` (the default) becomes ``"none"``, or ``"fifo"`` with ``learner="acer"``
    (:data:`~a3cmem_lib.training.choices.LEARNER_DEFAULTS`): the field always holds a string
    after construction."""
    capacity: int | None = option(
        None,
        "segments the buffer holds",
        group="memory",
        fits="memory",
    )
    """Segments the replay buffer holds (>= 1); the oldest is overwritten first. ``None``
    (the default) becomes 5,000, or 500 with ``learner="acer"``
    (:data:`~a3cmem_lib.training.choices.LEARNER_DEFAULTS`)."""
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
    batch_size: int | None = option(None, "segments per learner update", group="memory")
    """Segments per learner update (>= 1); learning starts once the buffer holds a batch.
    ``None`` (the default) becomes 32, or 4 with ``learner="acer"``
    (:data:`~a3cmem_lib.training.choices.LEARNER_DEFAULTS`)."""
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

    # -- the learner (notebooks/09_acer.ipynb) -------------------------------------------------
    learner: str = option(
        "vtrace",
        "vtrace: replay corrected by V-trace; acer: ACER (a Q head, Retrace, trust region)",
        choices=LEARNERS,
        group="run",
        fits="model",
    )
    """``"vtrace"``: the memory layer's V-trace learner (chapter 05). ``"acer"``: ACER
    (Wang et al., 2017): the model gets a Q head, the workers apply ACER's on-policy update
    and the memory layer's learner the off-policy ones on replayed segments, with Retrace
    targets, importance weights truncated at ``acer_truncation`` plus a bias correction, and
    a trust region around an average policy network. Needs a memory (default ``"fifo"``)
    and the local backend."""
    acer_truncation: float = option(10.0, "ACER: truncate importance weights at c", group="memory")
    """ACER's c > 0: the policy gradient's importance weights are truncated at c and the
    bias-correction term covers the rest (section 3.2 of the paper, c = 10)."""
    trust_region: bool = option(True, "ACER: trust region around the average policy network")
    """ACER's efficient trust region (section 3.3): project every policy gradient so that
    the step stays near the average policy network (``--no-trust-region`` turns it off)."""
    trust_region_delta: float = option(1.0, "ACER: the trust region's radius delta")
    """δ > 0 of the trust region's constraint on the KL divergence's gradient (1 in the
    paper)."""
    average_decay: float = option(0.99, "ACER: decay alpha of the average policy network")
    """α in (0, 1): after every update the average network moves to
    α θ_avg + (1 − α) θ (0.99 in the paper)."""

    def __post_init__(self) -> None:
        recipe = LEARNER_DEFAULTS.get(self.learner, LEARNER_DEFAULTS["vtrace"])
        left_to_learner = [name for name in recipe if getattr(self, name) is None]
        for name in left_to_learner:
            setattr(self, name, recipe[name])
        self._left_to_learner = frozenset(left_to_learner)
        if isinstance(self.hidden_sizes, list):
            self.hidden_sizes = tuple(self.hidden_sizes)
        self.validate()

    def validate(self) -> None:
        """Raise ``TypeError``/``ValueError`` naming the first invalid field."""
        validate_config(self)

    @property
    def workers_learn(self) -> bool:
        """Whether the workers apply on-policy gradients: plain A3C, ``hybrid`` and ACER."""
        return self.memory == "none" or self.hybrid or self.learner == "acer"

    @property
    def fresh_per_batch(self) -> int:
        """Fresh segments a learner batch takes at most: ``round(fresh_fraction *
        batch_size)``."""
        return round(self.fresh_fraction * self.batch_size)

    def for_learner(self, learner: str) -> TrainConfig:
        """This config trained with ``learner`` instead: each learner-dependent field
        (:data:`~a3cmem_lib.training.choices.LEARNER_DEFAULTS`) that was left to this
        config's learner takes ``learner``'s default; every field given explicitly keeps its
        value, also one that equals the old learner's default. A config copied field by field
        (``dataclasses.replace``, :meth:`from_dict`) counts all its fields as given."""
        values = self.to_dict()
        values.update(dict.fromkeys(self._left_to_learner), learner=learner)
        return TrainConfig(**values)

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
        ``(H, W, C)`` → :class:`ConvActorCritic`; with ``learner="acer"`` it has a Q head."""
        shape = (obs_shape,) if isinstance(obs_shape, int) else tuple(obs_shape)
        return build_actor_critic(
            shape,
            n_actions,
            hidden_sizes=self.hidden_sizes,
            activation=self.activation,
            conv_channels=self.conv_channels,
            conv_kernel=self.conv_kernel,
            conv_hidden=self.conv_hidden,
            q_head=self.learner == "acer",
        )
