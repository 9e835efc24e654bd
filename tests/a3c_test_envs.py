"""Tiny environments that fail on purpose, for the crash-propagation tests.

Imported by name (``gym.make("a3c_test_envs:CrashOnStep-v0")``), so a worker started with
``spawn`` registers them too.
"""

import os

import gymnasium as gym
import numpy as np


class _FailingEnv(gym.Env):
    observation_space = gym.spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32)
    action_space = gym.spaces.Discrete(2)
    fail_at_step = 7

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.steps = 0
        return np.zeros(3, dtype=np.float32), {}

    def step(self, action):
        self.steps += 1
        if self.steps == self.fail_at_step:
            self.fail()
        return np.zeros(3, dtype=np.float32), 1.0, False, False, {}


class CrashOnStep(_FailingEnv):
    """Raises ``RuntimeError`` on its 7th step."""

    def fail(self):
        raise RuntimeError("deliberate failure inside CrashOnStep.step")


class DieOnStep(_FailingEnv):
    """Kills its process with exit code 3 on its 7th step, so no traceback can be sent."""

    def fail(self):
        os._exit(3)


gym.register("CrashOnStep-v0", entry_point=CrashOnStep)
gym.register("DieOnStep-v0", entry_point=DieOnStep)
