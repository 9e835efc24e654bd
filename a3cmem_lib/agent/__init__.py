"""The A3C agent: actor-critic models (an MLP, the MinAtar conv net), learning targets, loss
and shared optimizers.

Explained in notebooks/01_a3c_basics.ipynb.
"""

from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.losses import ActorCriticLoss, actor_critic_loss
from a3cmem_lib.agent.model import (
    ActorCritic,
    ActorCriticModel,
    ConvActorCritic,
    build_actor_critic,
)
from a3cmem_lib.agent.returns import gae_advantages, n_step_returns
from a3cmem_lib.agent.shared_adam import SharedAdam
from a3cmem_lib.agent.shared_rmsprop import SharedRMSprop

__all__ = [
    "ActorCritic",
    "ActorCriticLoss",
    "ActorCriticModel",
    "ConvActorCritic",
    "NumpyPolicy",
    "SharedAdam",
    "SharedRMSprop",
    "actor_critic_loss",
    "build_actor_critic",
    "gae_advantages",
    "n_step_returns",
]
