"""The A3C agent: actor-critic model, learning targets, loss and shared optimizers.

Explained in notebooks/01_a3c_basics.ipynb.
"""

from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.losses import ActorCriticLoss, actor_critic_loss
from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.returns import gae_advantages, n_step_returns
from a3cmem_lib.agent.shared_optim import SharedAdam, SharedRMSprop

__all__ = [
    "ActorCritic",
    "ActorCriticLoss",
    "NumpyPolicy",
    "SharedAdam",
    "SharedRMSprop",
    "actor_critic_loss",
    "gae_advantages",
    "n_step_returns",
]
