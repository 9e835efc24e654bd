"""The actor-critic networks: one shared trunk, a policy head and a value head.

:class:`ActorCritic` is an MLP for vector observations, :class:`ConvActorCritic` the MinAtar
network for image observations; :func:`build_actor_critic` picks one from the observation
shape. Both have the same ``forward`` and the same ``trunk``, ``policy_head`` and
``value_head`` attributes; with ``q_head=True`` (ACER, notebooks/09_acer.ipynb) a ``q_head``
Q(s, ·) replaces the value head and V(s) = Σ_a π(a|s) Q(s, a).

Explained in notebooks/01_a3c_basics.ipynb (section "The actor-critic network").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

_ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU}


class _Heads(nn.Module):
    """The critic of both networks: a state-value head V(s), or ACER's Q head Q(s, ·) with
    one output per action (notebooks/09_acer.ipynb). Only the one head exists, so every
    parameter gets a gradient from the run's loss."""

    has_q_head: bool
    """Whether the critic is a Q head (``q_head``) rather than a value head
    (``value_head``)."""

    def _add_critic(self, width: int, n_actions: int, q_head: bool) -> None:
        self.has_q_head = bool(q_head)
        if self.has_q_head:
            self.q_head = nn.Linear(width, n_actions)
        else:
            self.value_head = nn.Linear(width, 1)

    @property
    def critic_head(self) -> nn.Linear:
        """The critic's output layer: ``q_head`` or ``value_head``."""
        return self.q_head if self.has_q_head else self.value_head

    def state_values(self, logits: torch.Tensor, critic: torch.Tensor) -> torch.Tensor:
        """``(batch,)`` V(s) from :meth:`policy_and_q`'s outputs: Σ_a π(a|s) Q(s, a) with a
        Q head, the value head's output otherwise."""
        if self.has_q_head:
            return (torch.softmax(logits, dim=-1) * critic).sum(-1)
        return critic.squeeze(-1)


class ActorCritic(_Heads):
    """Shared MLP trunk with a policy-logits head and a state-value head.

    A3C (Mnih et al., 2016, section 4) shares all layers except the two outputs:
    ``pi(a | s) = softmax(logits(s))`` and ``V(s)``.

    Args:
        obs_dim: length of the (flat, float32) observation vector.
        n_actions: number of discrete actions.
        hidden_sizes: width of each trunk layer, first to last; ``()`` gives linear heads.
        activation: ``"tanh"`` or ``"relu"``, applied after every trunk layer.
        q_head: a Q head ``(n_actions,)`` outputs, ACER's critic, instead of the value head.

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        hidden_sizes: Sequence[int] = (128,),
        activation: str = "tanh",
        q_head: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(obs_dim, int) or obs_dim < 1:
            raise ValueError(f"obs_dim must be an int >= 1, got {obs_dim!r}")
        if not isinstance(n_actions, int) or n_actions < 2:
            raise ValueError(f"n_actions must be an int >= 2, got {n_actions!r}")
        if any(not isinstance(size, int) or size < 1 for size in hidden_sizes):
            raise ValueError(f"hidden_sizes must be ints >= 1, got {tuple(hidden_sizes)!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        layers: list[nn.Module] = []
        width = obs_dim
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), _ACTIVATIONS[activation]()]
            width = size
        self.trunk = nn.Sequential(*layers)
        self.policy_head = nn.Linear(width, n_actions)
        self._add_critic(width, n_actions, q_head)
        _init_weights(self)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy logits and state values for a batch of observations.

        Args:
            obs: ``(batch, obs_dim)`` float32.

        Returns:
            ``(logits, values)``: ``(batch, n_actions)`` unnormalised log-probabilities and
            ``(batch,)`` value estimates ``V(s)`` in units of discounted return (with a Q
            head, ``V(s) = Σ_a π(a|s) Q(s, a)``).
        """
        logits, critic = self.policy_and_q(obs)
        return logits, self.state_values(logits, critic)

    def policy_and_q(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy logits and the critic's output: ``(batch, n_actions)`` Q(s, ·) with a Q
        head, ``(batch, 1)`` V(s) without one."""
        features = self.trunk(obs)
        return self.policy_head(features), self.critic_head(features)


class ConvActorCritic(_Heads):
    r"""The MinAtar network: one convolution and one hidden layer, shared by two heads.

    Young & Tian (2019, "MinAtar") use one 3x3 convolution with 16 channels (stride 1, no
    padding), a fully connected layer of 128 units and ReLU after both; A3C shares all of it
    between the policy head and the value head, as :class:`ActorCritic` shares its MLP trunk:

    .. math::

        h_1 = \mathrm{ReLU}(W_{conv} \ast x + b_{conv}), \qquad
        h_2 = \mathrm{ReLU}(W_{fc}\,\mathrm{vec}(h_1) + b_{fc}),

        \mathrm{logits}(s) = W_\pi h_2 + b_\pi, \qquad V(s) = w_V^\top h_2 + b_V.

    Shapes with the defaults on a MinAtar observation (``B`` the batch size, ``C`` the
    game's channels, e.g. 4 for Breakout; a valid convolution shrinks each side by
    ``kernel_size - 1``: 10 - 3 + 1 = 8):

    ======================================  ===================  =================
    step                                    shape                module
    ======================================  ===================  =================
    observation (bool, uint8 or float)      ``(B, 10, 10, C)``   input
    cast to float32, channel-first          ``(B, C, 10, 10)``   :meth:`forward`
    3x3 convolution, 16 channels, ReLU      ``(B, 16, 8, 8)``    ``trunk[0:2]``
    flatten: 16 * 8 * 8 = 1024              ``(B, 1024)``        ``trunk[2]``
    fully connected, 128 units, ReLU        ``(B, 128)``         ``trunk[3:5]``
    policy head: logits                     ``(B, n_actions)``   ``policy_head``
    value head: ``V(s)``                    ``(B,)``             ``value_head``
    ======================================  ===================  =================

    Observations are cast to float32 as they are (MinAtar's channels are 0/1; nothing is
    rescaled). Initialisation is :class:`ActorCritic`'s: orthogonal, gain sqrt(2) for the
    trunk, 0.01 for the policy head (so the initial policy is near uniform), 1 for the value
    head, zero biases.

    Args:
        obs_shape: ``(H, W, C)``, the observation's height, width and channels.
        n_actions: number of discrete actions.
        channels: output channels of the convolution.
        kernel_size: side of the square convolution kernel, at most ``min(H, W)``.
        hidden_size: units of the fully connected layer.
        q_head: a Q head ``(n_actions,)`` outputs, ACER's critic, instead of the value head.

    Attributes:
        obs_shape: ``(H, W, C)`` as given.
        trunk: ``nn.Sequential`` (conv, ReLU, flatten, linear, ReLU) on channel-first
            float32 input ``(B, C, H, W)``, giving the ``(B, hidden_size)`` features.
        policy_head, value_head: the two output layers, as in :class:`ActorCritic`.
    """

    def __init__(
        self,
        obs_shape: Sequence[int],
        n_actions: int,
        channels: int = 16,
        kernel_size: int = 3,
        hidden_size: int = 128,
        q_head: bool = False,
    ) -> None:
        super().__init__()
        shape = _int_tuple("obs_shape", obs_shape)
        if len(shape) != 3:
            raise ValueError(f"obs_shape must be (H, W, C), got {tuple(obs_shape)!r}")
        height, width, in_channels = shape
        n_actions = _positive_int("n_actions", n_actions, minimum=2)
        channels = _positive_int("channels", channels)
        kernel_size = _positive_int("kernel_size", kernel_size)
        hidden_size = _positive_int("hidden_size", hidden_size)
        _check_kernel("kernel_size", kernel_size, shape)
        self.obs_shape: tuple[int, int, int] = (height, width, in_channels)
        conv_side = (height - kernel_size + 1, width - kernel_size + 1)
        self.trunk = nn.Sequential(
            nn.Conv2d(in_channels, channels, kernel_size),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(channels * conv_side[0] * conv_side[1], hidden_size),
            nn.ReLU(),
        )
        self.policy_head = nn.Linear(hidden_size, n_actions)
        self._add_critic(hidden_size, n_actions, q_head)
        _init_weights(self)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy logits and state values for a batch of image observations.

        Args:
            obs: ``(batch, H, W, C)`` channel-last images, bool, uint8 or float. The flat
                rows a rollout or replay memory stores, ``(batch, H * W * C)`` in C order,
                are accepted too.

        Returns:
            ``(logits, values)``: ``(batch, n_actions)`` float32 unnormalised
            log-probabilities and ``(batch,)`` float32 value estimates ``V(s)`` in units of
            discounted return (with a Q head, ``V(s) = Σ_a π(a|s) Q(s, a)``).
        """
        logits, critic = self.policy_and_q(obs)
        return logits, self.state_values(logits, critic)

    def policy_and_q(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy logits and the critic's output for the observations :meth:`forward` takes:
        ``(batch, n_actions)`` Q(s, ·) with a Q head, ``(batch, 1)`` V(s) without one."""
        height, width, channels = self.obs_shape
        if obs.dim() == 2 and obs.shape[1] == height * width * channels:
            obs = obs.reshape(-1, height, width, channels)
        if obs.dim() != 4 or tuple(obs.shape[1:]) != self.obs_shape:
            raise ValueError(
                f"obs must be (batch, {height}, {width}, {channels}) or "
                f"(batch, {height * width * channels}), got {tuple(obs.shape)}"
            )
        features = self.trunk(obs.to(torch.float32).permute(0, 3, 1, 2))
        return self.policy_head(features), self.critic_head(features)


ActorCriticModel = ActorCritic | ConvActorCritic
"""Either actor-critic: both map a batch of observations to ``(logits, values)``."""


def build_actor_critic(
    obs_shape: Sequence[int],
    n_actions: int,
    *,
    hidden_sizes: Sequence[int] = (128,),
    activation: str = "tanh",
    conv_channels: int = 16,
    conv_kernel: int = 3,
    conv_hidden: int = 128,
    q_head: bool = False,
) -> ActorCritic | ConvActorCritic:
    """The network for an observation shape: an MLP for vectors, the MinAtar net for images.

    Args:
        obs_shape: the environment's ``observation_space.shape``: ``(obs_dim,)`` gives
            ``ActorCritic(obs_dim, n_actions, hidden_sizes, activation)`` (exactly the model
            that constructor gives, for the same seed); ``(H, W, C)`` gives
            ``ConvActorCritic(obs_shape, n_actions, conv_channels, conv_kernel, conv_hidden)``.
        n_actions: number of discrete actions, ``>= 2``.
        hidden_sizes, activation: the MLP's trunk (unused for images).
        conv_channels, conv_kernel, conv_hidden: the convolution's output channels, its kernel
            side and the hidden layer's units (unused for vectors).
        q_head: give the network ACER's Q head instead of the value head.

    Raises:
        ValueError: ``obs_shape`` is neither 1-D nor 3-D, or a size is out of range.
        TypeError: ``obs_shape`` or a size is not made of ints.
    """
    shape = _int_tuple("obs_shape", obs_shape)
    n_actions = _positive_int("n_actions", n_actions, minimum=2)
    if len(shape) == 1:
        return ActorCritic(shape[0], n_actions, hidden_sizes, activation, q_head)
    if len(shape) == 3:
        # Checked here too, so that the errors name this function's arguments.
        conv_channels = _positive_int("conv_channels", conv_channels)
        conv_kernel = _positive_int("conv_kernel", conv_kernel)
        conv_hidden = _positive_int("conv_hidden", conv_hidden)
        _check_kernel("conv_kernel", conv_kernel, shape)
        return ConvActorCritic(shape, n_actions, conv_channels, conv_kernel, conv_hidden, q_head)
    raise ValueError(
        f"obs_shape must be (obs_dim,) for the MLP ActorCritic or (H, W, C) for "
        f"ConvActorCritic, got {shape!r} ({len(shape)}-D)"
    )


def _init_weights(model: ActorCritic | ConvActorCritic) -> None:
    # Orthogonal init; a small policy-head gain starts the policy near uniform so early
    # episodes explore (a common choice since Schulman et al.'s PPO baselines).
    for layer in model.trunk:
        if isinstance(layer, nn.Conv2d | nn.Linear):
            nn.init.orthogonal_(layer.weight, gain=2**0.5)
            nn.init.zeros_(layer.bias)
    nn.init.orthogonal_(model.policy_head.weight, gain=0.01)
    nn.init.zeros_(model.policy_head.bias)
    nn.init.orthogonal_(model.critic_head.weight, gain=1.0)
    nn.init.zeros_(model.critic_head.bias)


def _positive_int(name: str, value: object, minimum: int = 1) -> int:
    # bool is an int subclass, but True is never a sensible layer size.
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def _check_kernel(name: str, kernel_size: int, obs_shape: tuple[int, ...]) -> None:
    # A valid (unpadded) convolution needs the kernel to fit inside the image.
    if kernel_size > min(obs_shape[:2]):
        raise ValueError(
            f"{name} must be at most min(H, W) = {min(obs_shape[:2])} for obs_shape "
            f"{obs_shape}, got {kernel_size}"
        )


def _int_tuple(name: str, shape: object) -> tuple[int, ...]:
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        raise TypeError(f"{name} must be a tuple of ints, got {type(shape).__name__} {shape!r}")
    return tuple(_positive_int(f"{name}[{i}]", size) for i, size in enumerate(shape))
