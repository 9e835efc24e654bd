"""MinAtar registered by ``import a3cmem_lib.envs``: the ids, lazily (MinAtar is imported only
when a game is made), the same specs as MinAtar's own registration, no warnings when
registered twice, observations (10, 10, channels) bool, random play, and MinAtar missing."""

from __future__ import annotations

import importlib
import importlib.abc
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest

import a3cmem_lib.envs
from a3cmem_lib.envs import (
    MINATAR_IDS,
    MINATAR_INSTALL_HINT,
    minatar_available,
    register_minatar,
)

CHANNELS = {
    "MinAtar/Asterix-v1": 4,
    "MinAtar/Breakout-v1": 4,
    "MinAtar/Freeway-v1": 7,
    "MinAtar/Seaquest-v1": 10,
    "MinAtar/SpaceInvaders-v1": 6,
}


def minatar_registry_ids() -> list[str]:
    return [env_id for env_id in gym.registry if env_id.startswith("MinAtar/")]


@pytest.fixture
def without_minatar_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the MinAtar ids out of gymnasium's registry for one test (restored after)."""
    for env_id in minatar_registry_ids():
        monkeypatch.delitem(gym.registry, env_id)


class _BlockMinAtar(importlib.abc.MetaPathFinder):
    """An import hook that makes ``import minatar`` fail, as if it were not installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "minatar" or name.startswith("minatar."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_ids_and_install_hint() -> None:
    assert set(MINATAR_IDS) == set(CHANNELS) and len(MINATAR_IDS) == 5
    assert MINATAR_INSTALL_HINT == 'pip install "minatar==1.0.15"'
    assert minatar_available() is True


def test_ids_exist_after_importing_the_library_without_importing_minatar() -> None:
    code = (
        "import sys, gymnasium as gym, a3cmem_lib.envs as envs; "
        "print(all(i in gym.registry for i in envs.MINATAR_IDS), 'minatar' in sys.modules); "
        "env = gym.make('MinAtar/Breakout-v1'); "
        "print(env.reset(seed=0)[0].shape, 'minatar' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["True False", "(10, 10, 4) True"]
    assert out.stderr == ""


def test_module_prefixed_id_works_in_a_fresh_process() -> None:
    """What a spawned worker can do without importing the library first."""
    code = (
        "import gymnasium as gym; "
        "print(gym.make('a3cmem_lib.envs:MinAtar/SpaceInvaders-v1').reset(seed=0)[0].shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(10, 10, 6)"


def test_registered_exactly_as_minatar_registers(monkeypatch: pytest.MonkeyPatch) -> None:
    import minatar.gym

    calls: list[dict] = []
    monkeypatch.setattr(minatar.gym, "register", lambda **kwargs: calls.append(kwargs))
    minatar.gym.register_envs()
    assert sorted(call["id"] for call in calls) == sorted(minatar_registry_ids())
    assert set(MINATAR_IDS) <= {call["id"] for call in calls}
    for call in calls:
        spec = gym.spec(call["id"])
        assert (spec.entry_point, spec.kwargs) == (call["entry_point"], call["kwargs"])
        assert spec.max_episode_steps is None  # MinAtar games end by themselves
    for env_id in MINATAR_IDS:
        assert gym.spec(env_id).kwargs["use_minimal_action_set"] is True


def test_registering_twice_warns_nothing(without_minatar_ids: None) -> None:
    assert minatar_registry_ids() == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert register_minatar() is True
        assert register_minatar() is True
        importlib.reload(a3cmem_lib.envs)  # what a notebook's reload does
    assert len(minatar_registry_ids()) == 10
    assert all(env_id in gym.registry for env_id in MINATAR_IDS)


def test_registering_an_id_over_itself_would_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: gymnasium warns when an id is registered again."""
    spec = gym.spec(MINATAR_IDS[0])
    monkeypatch.setitem(gym.registry, spec.id, spec)  # restored after the test
    with pytest.warns(UserWarning, match="Overriding environment"):
        gym.register(id=spec.id, entry_point=spec.entry_point, kwargs=spec.kwargs)


@pytest.mark.parametrize("blocker", ["sys.modules", "import hook"])
def test_missing_minatar_is_reported_without_raising(
    blocker: str, monkeypatch: pytest.MonkeyPatch, without_minatar_ids: None
) -> None:
    if blocker == "sys.modules":
        monkeypatch.setitem(sys.modules, "minatar", None)
    else:
        for name in [name for name in sys.modules if name.split(".")[0] == "minatar"]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setattr(sys, "meta_path", [_BlockMinAtar(), *sys.meta_path])
    with pytest.raises(ImportError):
        import minatar  # noqa: F401
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert minatar_available() is False
        assert register_minatar() is False
    assert minatar_registry_ids() == []
    with pytest.raises(gym.error.NamespaceNotFound):
        gym.make("MinAtar/Breakout-v1")


@pytest.mark.parametrize("env_id", sorted(CHANNELS))
def test_observations_are_10_by_10_bool_channels_and_random_play_ends(env_id: str) -> None:
    env = gym.make(env_id)
    channels = CHANNELS[env_id]
    assert env.observation_space == gym.spaces.Box(0, 1, (10, 10, channels), dtype=bool)
    assert isinstance(env.action_space, gym.spaces.Discrete)
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (10, 10, channels) and obs.dtype == np.bool_ and obs.any()
    episodes, steps = 0, 0
    while episodes < 2:
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
        assert obs.shape == (10, 10, channels) and obs.dtype == np.bool_
        assert np.isfinite(reward)
        if terminated or truncated:
            episodes += 1
            env.reset()
        assert steps < 10_000, "a random episode should end (Freeway's lasts 2500 steps)"
    env.close()


def test_same_seed_same_minatar_trajectory() -> None:
    """Seeding reaches MinAtar's own generator (sticky actions, spawns)."""

    def play(seed: int) -> list[bytes]:
        env = gym.make("MinAtar/SpaceInvaders-v1")
        env.action_space.seed(seed)
        frames = [env.reset(seed=seed)[0].tobytes()]
        for _ in range(200):
            obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
            frames.append(obs.tobytes())
            if terminated or truncated:
                frames.append(env.reset()[0].tobytes())
        return frames

    assert play(3) == play(3)
    assert play(3) != play(4)
