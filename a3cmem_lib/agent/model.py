"""The actor-critic network: one shared trunk, a policy head and a value head.

Explained in notebooks/01_a3c_basics.ipynb (section "The actor-critic network").
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

_ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU}


class ActorCritic(nn.Module):
    """Shared MLP trunk with a policy-logits head and a state-value head.

    A3C (Mnih et al., 2016, section 4) shares all layers except the two outputs:
    ``pi(a | s) = softmax(logits(s))`` and ``V(s)``.

    Args:
        obs_dim: length of the (flat, float32) observation vector.
        n_actions: number of discrete actions.
        hidden_sizes: width of each trunk layer, first to last; ``()`` gives linear heads.
        activation: ``"tanh"`` or ``"relu"``, applied after every trunk layer.

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        hidden_sizes: Sequence[int] = (128,),
        activation: str = "tanh",
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
        self.value_head = nn.Linear(width, 1)
        self._init_weights()

    def _init_weights(self) -> None:
        # Orthogonal init; a small policy-head gain starts the policy near uniform so early
        # episodes explore (a common choice since Schulman et al.'s PPO baselines).
        for layer in self.trunk:
            if isinstance(layer, nn.Linear):
                nn.init.orthogonal_(layer.weight, gain=2**0.5)
                nn.init.zeros_(layer.bias)
        nn.init.orthogonal_(self.policy_head.weight, gain=0.01)
        nn.init.zeros_(self.policy_head.bias)
        nn.init.orthogonal_(self.value_head.weight, gain=1.0)
        nn.init.zeros_(self.value_head.bias)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy logits and state values for a batch of observations.

        Args:
            obs: ``(batch, obs_dim)`` float32.

        Returns:
            ``(logits, values)``: ``(batch, n_actions)`` unnormalised log-probabilities and
            ``(batch,)`` value estimates ``V(s)`` in units of discounted return.
        """
        features = self.trunk(obs)
        return self.policy_head(features), self.value_head(features).squeeze(-1)
