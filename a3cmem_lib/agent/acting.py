"""Choosing actions fast: the policy half of :class:`ActorCritic` evaluated with numpy.

For a network this small, one PyTorch forward pass on a single observation costs tens of
microseconds of framework overhead, several times the cost of a CartPole step. Acting needs
no gradients, so the workers evaluate the trunk and policy head with numpy on *views* of the
model's parameters (``tensor.numpy()`` shares memory): whenever the weights are updated in
place, the policy sees the new values. Learning still uses the PyTorch model.

Explained in notebooks/01_a3c_basics.ipynb (section "The worker loop").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import nn

from a3cmem_lib.agent.model import ActorCritic

_NUMPY_ACTIVATIONS = {nn.Tanh: np.tanh, nn.ReLU: lambda x: np.maximum(x, 0.0)}


class NumpyPolicy:
    """``pi(. | s)`` of an :class:`ActorCritic`, computed with numpy on a single observation.

    Args:
        model: the network; its parameters must be CPU float32 tensors, updated in place
            (``param.copy_(...)``), never replaced, for the views to stay valid.

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    def __init__(self, model: ActorCritic) -> None:
        self._layers: list[Callable[[np.ndarray], np.ndarray]] = []
        for module in model.trunk:
            if isinstance(module, nn.Linear):
                self._layers.append(_numpy_linear(module))
            elif type(module) in _NUMPY_ACTIVATIONS:
                self._layers.append(_NUMPY_ACTIVATIONS[type(module)])
            else:
                raise TypeError(f"NumpyPolicy cannot evaluate a {type(module).__name__} layer")
        self._layers.append(_numpy_linear(model.policy_head))

    def logits(self, obs: np.ndarray) -> np.ndarray:
        """Policy logits: ``obs`` ``(obs_dim,)`` float32 -> ``(n_actions,)`` float32."""
        x = obs
        for layer in self._layers:
            x = layer(x)
        return x

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> int:
        """Draw ``a ~ pi(. | obs)`` with the Gumbel-max trick: ``argmax_a(logit_a + g_a)``,
        ``g_a`` i.i.d. standard Gumbel noise, is distributed as ``softmax(logits)``."""
        logits = self.logits(obs)
        return int(np.argmax(logits + rng.gumbel(size=logits.shape)))

    def sample_with_log_prob(self, obs: np.ndarray, rng: np.random.Generator) -> tuple[int, float]:
        """Like :meth:`sample`, also returning ``log pi(a | obs)`` of the drawn action (the
        behaviour log-probability a replay memory stores for off-policy correction)."""
        logits = self.logits(obs)
        action = int(np.argmax(logits + rng.gumbel(size=logits.shape)))
        shifted = logits - logits.max()
        return action, float(shifted[action] - np.log(np.exp(shifted).sum()))

    def greedy(self, obs: np.ndarray) -> int:
        """The most probable action, ``argmax_a pi(a | obs)``."""
        return int(np.argmax(self.logits(obs)))


def _numpy_linear(layer: nn.Linear) -> Callable[[np.ndarray], np.ndarray]:
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    return lambda x: weight @ x + bias
