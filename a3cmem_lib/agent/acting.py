"""Choosing actions fast: the policy half of an actor-critic network evaluated with numpy.

For networks this small, one PyTorch forward pass on a single observation costs tens of
microseconds of framework overhead, several times the cost of a CartPole step. Acting needs
no gradients, so the workers evaluate the trunk and policy head with numpy on *views* of the
model's parameters (``tensor.numpy()`` shares memory): whenever the weights are updated in
place, the policy sees the new values. Learning still uses the PyTorch model.

The convolution of :class:`ConvActorCritic` becomes one gather and one matrix product
("im2col"): an index array, computed once, lists for every output position the input pixels
under the kernel, so ``conv(x) = W_conv @ x[patches] + b``. ``bench/bench_acting.py`` times
both networks against a plain ``torch.no_grad()`` forward (results in
``bench/results/acting.md``).

Explained in notebooks/01_a3c_basics.ipynb (section "The worker loop").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import nn

from a3cmem_lib.agent.model import ActorCritic, ConvActorCritic

_NUMPY_ACTIVATIONS = {nn.Tanh: np.tanh, nn.ReLU: lambda x: np.maximum(x, 0.0)}


class NumpyPolicy:
    """``pi(. | s)`` of an :class:`ActorCritic` or a :class:`ConvActorCritic`, computed with
    numpy on a single observation.

    Observations: ``(obs_dim,)`` float32 for an :class:`ActorCritic`; for a
    :class:`ConvActorCritic`, ``(H, W, C)`` as the environment gives it or the flat
    ``(H * W * C,)`` row a rollout stores, bool, uint8 or float (cast to float32).

    Args:
        model: the network; its parameters must be CPU float32 tensors, updated in place
            (``param.copy_(...)``), never replaced, for the views to stay valid.

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    def __init__(self, model: ActorCritic | ConvActorCritic) -> None:
        self._layers: list[Callable[[np.ndarray], np.ndarray]] = []
        for position, module in enumerate(model.trunk):
            if isinstance(module, nn.Conv2d) and position == 0:
                if not isinstance(model, ConvActorCritic):
                    raise TypeError("NumpyPolicy needs a ConvActorCritic to evaluate a Conv2d")
                self._layers.append(_numpy_conv2d(module, model.obs_shape))
            elif isinstance(module, nn.Flatten) and position > 0:
                self._layers.append(np.ravel)
            elif isinstance(module, nn.Linear):
                self._layers.append(_numpy_linear(module))
            elif type(module) in _NUMPY_ACTIVATIONS:
                self._layers.append(_NUMPY_ACTIVATIONS[type(module)])
            else:
                raise TypeError(
                    f"NumpyPolicy cannot evaluate a {type(module).__name__} layer "
                    f"at trunk[{position}]"
                )
        self._layers.append(_numpy_linear(model.policy_head))

    def logits(self, obs: np.ndarray) -> np.ndarray:
        """Policy logits: one observation (shapes in the class docstring) ->
        ``(n_actions,)`` float32."""
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
        action, log_prob, _ = self.sample_with_probs(obs, rng)
        return action, log_prob

    def sample_with_probs(
        self, obs: np.ndarray, rng: np.random.Generator
    ) -> tuple[int, float, np.ndarray]:
        """Like :meth:`sample_with_log_prob` (the same draw for the same ``rng``), also
        returning the whole distribution ``pi(. | obs)``, ``(n_actions,)`` float64 (ACER's
        bias correction needs μ of every action)."""
        logits = self.logits(obs)
        action = int(np.argmax(logits + rng.gumbel(size=logits.shape)))
        shifted = logits - logits.max()
        log_norm = np.log(np.exp(shifted).sum())
        return action, float(shifted[action] - log_norm), np.exp(shifted - log_norm)

    def greedy(self, obs: np.ndarray) -> int:
        """The most probable action, ``argmax_a pi(a | obs)``."""
        return int(np.argmax(self.logits(obs)))


def _numpy_linear(layer: nn.Linear) -> Callable[[np.ndarray], np.ndarray]:
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    return lambda x: weight @ x + bias


def _numpy_conv2d(
    conv: nn.Conv2d, obs_shape: tuple[int, int, int]
) -> Callable[[np.ndarray], np.ndarray]:
    """The convolution on one channel-last observation, as ``(out_channels, OH * OW)`` float32
    in the order ``nn.Flatten`` reads ``(out_channels, OH, OW)``."""
    if (
        conv.stride != (1, 1)
        or conv.padding != (0, 0)
        or conv.dilation != (1, 1)
        or conv.groups != 1
        or conv.bias is None
    ):
        raise TypeError(
            "NumpyPolicy evaluates only stride-1, unpadded, undilated, ungrouped convolutions "
            f"with a bias, got {conv}"
        )
    height, width, channels = obs_shape
    kernel_h, kernel_w = conv.kernel_size
    out_h, out_w = height - kernel_h + 1, width - kernel_w + 1
    # Views, not copies: in-place updates of the model's weights are seen here.
    weight = conv.weight.detach().numpy().reshape(conv.out_channels, -1)
    bias = conv.bias.detach().numpy()[:, None]
    # Row (c, i, j) as the weight is laid out, column (y, x) the output position; the entry
    # is where pixel (y + i, x + j), channel c sits in the flat (H, W, C) observation.
    c, i, j, y, x = np.meshgrid(
        np.arange(channels),
        np.arange(kernel_h),
        np.arange(kernel_w),
        np.arange(out_h),
        np.arange(out_w),
        indexing="ij",
    )
    patches = (((y + i) * width + (x + j)) * channels + c).reshape(weight.shape[1], -1)
    size = height * width * channels

    def conv_forward(obs: np.ndarray) -> np.ndarray:
        flat = np.asarray(obs, dtype=np.float32).reshape(-1)
        if flat.size != size:
            raise ValueError(f"obs must be {obs_shape} ({size} values), got {np.shape(obs)}")
        return weight @ flat[patches] + bias

    return conv_forward
