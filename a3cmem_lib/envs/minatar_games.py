"""MinAtar's games registered with gymnasium without importing MinAtar (it is optional).

MinAtar (Young & Tian, 2019) shrinks five Atari games to a 10 × 10 grid: an observation is
bool of shape ``(10, 10, channels)``, one channel per kind of object (Breakout 4, Freeway 7,
SpaceInvaders 6, Asterix 4, Seaquest 10). :func:`register_minatar` registers the same ids,
entry point and kwargs as ``minatar.gym.register_envs()`` does, but only *names*
``minatar.gym:BaseEnv``: importing ``minatar`` takes about 1.6 s (it imports matplotlib,
seaborn and scipy), so it happens on the first ``gymnasium.make("MinAtar/...")``, not on
``import a3cmem_lib.envs``. :mod:`a3cmem_lib.envs` calls it on import, so the ids exist in
every process that imports the library (spawned workers included).

The library uses the ``-v1`` ids (:data:`MINATAR_IDS`: each game's minimal action set);
the ``-v0`` ids (all six actions) are registered too, as MinAtar itself does.
Calling ``minatar.gym.register_envs()`` after this makes gymnasium warn "Overriding
environment" for each id (the specs it writes are the same).
"""

from __future__ import annotations

import importlib.util

import gymnasium as gym

#: What to run to install MinAtar (the version the textbook pins).
MINATAR_INSTALL_HINT = 'pip install "minatar==1.0.15"'

# The game modules of minatar.environments, in minatar.gym.register_envs' order.
_GAMES = ("asterix", "breakout", "freeway", "seaquest", "space_invaders")
_ENTRY_POINT = "minatar.gym:BaseEnv"


def _env_id(game: str, version: int) -> str:
    return f"MinAtar/{game.title().replace('_', '')}-v{version}"


#: The MinAtar ids the library supports: ``("MinAtar/Asterix-v1", "MinAtar/Breakout-v1",
#: "MinAtar/Freeway-v1", "MinAtar/Seaquest-v1", "MinAtar/SpaceInvaders-v1")``.
MINATAR_IDS: tuple[str, ...] = tuple(_env_id(game, 1) for game in _GAMES)


def minatar_available() -> bool:
    """Whether ``import minatar`` can find the package (checked without importing it, so
    it is cheap and never raises). If ``False``, tell the user :data:`MINATAR_INSTALL_HINT`."""
    try:
        return importlib.util.find_spec("minatar") is not None
    except (ImportError, ValueError):  # a blocked import, or a module left without a spec
        return False


def register_minatar() -> bool:
    """Register MinAtar's ids with gymnasium if MinAtar is installed; return whether it is.

    Registers ``MinAtar/<Game>-v0`` (full action set) and ``MinAtar/<Game>-v1`` (minimal
    action set, :data:`MINATAR_IDS`) exactly as ``minatar.gym.register_envs()`` would, but
    lazily: ``minatar`` is imported by the first ``gymnasium.make`` of one of them. Ids
    already registered (by an earlier call, or by MinAtar itself) are left as they are, so
    calling it again changes nothing and warns nothing. Without MinAtar nothing is
    registered, and ``gymnasium.make("MinAtar/Breakout-v1")`` fails with gymnasium's
    "Namespace MinAtar not found".
    """
    if not minatar_available():
        return False
    for game in _GAMES:
        for version, minimal_actions in ((0, False), (1, True)):
            env_id = _env_id(game, version)
            if env_id not in gym.registry:
                gym.register(
                    id=env_id,
                    entry_point=_ENTRY_POINT,
                    kwargs={"game": game, "use_minimal_action_set": minimal_actions},
                )
    return True
