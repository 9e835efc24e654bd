"""A sparse, deterministic key-and-door gridworld: fetch the key, open the door, reach the goal.

The map at the default ``size=7`` (:func:`keydoor_layout`): ``S`` start, ``K`` key, ``#``
wall, ``D`` door, ``G`` goal, ``.`` free::

    S..#...
    ...#...
    ...#...
    ...D...
    ...#...
    ...#...
    K..#..G

The wall splits the grid in two rooms; the door, in the wall's middle, is the only way from
the start's room to the goal's, and it cannot be entered before the key is held. Stepping
onto the key picks it up (the key leaves the map). The reward is strictly sparse: 1 for
entering the goal, which ends the episode, and 0 on every other step. So the return of an
episode is 1 if it reaches the goal and 0 if the time limit truncates it first.

At the default size an optimal walk takes **18 steps** (6 down to the key, 6 to the door,
6 to the goal) and returns **1.0**. The registration ``a3cmem/KeyDoor-v0`` (in
:mod:`a3cmem_lib.envs`) truncates after ``max_episode_steps=72`` (4 × 18, :func:`time_limit`)
and has ``reward_threshold=0.9``: a 100-episode mean return of 0.9 means the goal is reached
in 90 % of the episodes. A uniformly random policy almost never reaches it: in 0.35 % of
2000 episodes (0 of 200 in ``tests/test_envs_keydoor.py``, which checks it stays below 5 %).

Deterministic with few states (``2 * size**2`` at most), so a replay memory fills with exact
duplicates: a random policy repeats 96 % of its transitions (5000 steps, exact keys). For
another size, pass its limit too:
``gymnasium.make("a3cmem/KeyDoor-v0", size=9, max_episode_steps=time_limit(9))`` (the
registered 72 is the default size's). Meant for notebooks/04_deduplication.ipynb (a task
where duplicates are frequent and rewards rare).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import gymnasium as gym
import numpy as np

from .gridworld import MOVES, ansi_picture, breadth_first_path, check_render_mode, grid_frame

DEFAULT_SIZE = 7
"""Side of the default square grid (optimal walk: 18 steps)."""
MIN_SIZE = 4
"""The smallest side that leaves a room on each side of the wall."""
TIME_LIMIT_FACTOR = 4
"""The registered time limit is this many times the optimal number of steps."""

KeyDoorState = tuple[tuple[int, int], bool]  # ((row, col), has_key)


def keydoor_layout(size: int = DEFAULT_SIZE) -> tuple[str, ...]:
    """The ``size`` × ``size`` map, one string per row: start top-left, key bottom-left, a
    wall down column ``size // 2`` with the door at row ``size // 2``, goal bottom-right.

    Raises:
        TypeError: naming ``size`` if it is not an integer.
        ValueError: naming ``size`` if it is below :data:`MIN_SIZE`.
    """
    size = _check_size(size)
    wall = door = size // 2
    rows = [["."] * size for _ in range(size)]
    for row in rows:
        row[wall] = "#"
    rows[door][wall] = "D"
    rows[0][0], rows[-1][0], rows[-1][-1] = "S", "K", "G"
    return tuple("".join(row) for row in rows)


def time_limit(size: int = DEFAULT_SIZE) -> int:
    """:data:`TIME_LIMIT_FACTOR` × the optimal number of steps at ``size`` (72 at the default):
    the ``max_episode_steps`` to make a KeyDoor of that size with."""
    return TIME_LIMIT_FACTOR * KeyDoorEnv(size).shortest_path_length()


class KeyDoorEnv(gym.Env[np.ndarray, np.int64]):
    """Pick up the key, pass the door, reach the goal; reward 1 at the goal, 0 elsewhere.

    * **Observation**: float32 of shape ``(size * size + 1,)``: the one-hot encoding of the
      agent's cell (entry ``row * size + col`` is 1) followed by the has-key flag (1 once
      the key is held), so the same cell with and without the key are different states.
    * **Actions**: ``Discrete(4)``, GridWorld's: 0 left, 1 down, 2 right, 3 up. A move off
      the grid, into the wall, or into the door without the key leaves the agent in place.
    * **Reward**: 1.0 for entering the goal, 0.0 for every other step (no shaping).
    * **Termination**: entering the goal. **Truncation**: by the ``TimeLimit`` wrapper that
      ``gymnasium.make`` adds (``max_episode_steps`` of the registration, see :func:`time_limit`).
    * **Determinism**: the layout depends on ``size`` only and transitions are deterministic,
      so ``reset``'s ``seed`` only seeds :attr:`np_random` (unused by the dynamics).

    Args:
        size: side of the square grid, an integer ``>= 4`` (the map is :func:`keydoor_layout`).
        render_mode: ``None``, ``"ansi"`` (a text picture; the key is drawn until held) or
            ``"rgb_array"`` (the same as uint8 pixels).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, size: int = DEFAULT_SIZE, *, render_mode: str | None = None) -> None:
        self.layout = keydoor_layout(size)
        self.size = len(self.layout)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        cells = {char: (r, c) for r, row in enumerate(self.layout) for c, char in enumerate(row)}
        self.start, self.key, self.door, self.goal = (cells[char] for char in "SKDG")
        self.n_cells = self.size * self.size
        self.observation_space = gym.spaces.Box(0.0, 1.0, (self.n_cells + 1,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(4)
        self.position = self.start
        self.has_key = False
        self.last_action: int | None = None

    # -- dynamics ------------------------------------------------------------------------------
    def _observation(self) -> np.ndarray:
        obs = np.zeros(self.n_cells + 1, dtype=np.float32)
        obs[self.position[0] * self.size + self.position[1]] = 1.0
        obs[-1] = float(self.has_key)
        return obs

    def _info(self) -> dict[str, Any]:
        return {"position": self.position, "has_key": self.has_key}

    def _next_state(self, state: KeyDoorState, action: int) -> KeyDoorState:
        """Where ``action`` leads from ``state = ((row, col), has_key)``."""
        (row, col), has_key = state
        row, col = row + MOVES[action][0], col + MOVES[action][1]
        blocked = (
            not (0 <= row < self.size and 0 <= col < self.size)
            or self.layout[row][col] == "#"
            or ((row, col) == self.door and not has_key)
        )
        if blocked:
            return state
        return (row, col), has_key or (row, col) == self.key

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Put the agent on the start and the key back; return ``(observation, info)`` with
        ``info = {"position": (row, col), "has_key": False}``."""
        super().reset(seed=seed)
        self.position, self.has_key = self.start, False
        self.last_action = None
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move one cell; return ``(observation, reward, terminated, False, info)``."""
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an integer in [0, 4), got {action!r}")
        self.position, self.has_key = self._next_state((self.position, self.has_key), int(action))
        self.last_action = int(action)
        terminated = self.position == self.goal
        return self._observation(), 1.0 if terminated else 0.0, terminated, False, self._info()

    # -- analysis ------------------------------------------------------------------------------
    def shortest_path(self, start: KeyDoorState | None = None) -> list[int]:
        """The actions of a shortest walk from ``start = ((row, col), has_key)`` (default:
        the start cell without the key) to the goal, by breadth-first search over
        (cell, has-key) states trying actions in order 0-3. From the start it takes 18 steps
        at the default size and returns 1.0 (the optimal return)."""

        def moves(state: KeyDoorState) -> Iterable[tuple[int, KeyDoorState]]:
            return ((action, self._next_state(state, action)) for action in range(4))

        path = breadth_first_path(
            (self.start, False) if start is None else start, moves, lambda s: s[0] == self.goal
        )
        assert path is not None  # keydoor_layout connects every cell to the goal
        return path

    def shortest_path_length(self) -> int:
        """Number of steps of :meth:`shortest_path` from the start: ``2 * (size - 1) +
        2 * (size - 1 - size // 2)``, 18 at the default size."""
        return len(self.shortest_path())

    def optimal_policy(self) -> Callable[[np.ndarray], int]:
        """A deterministic optimal policy ``policy(observation) -> action`` (observation:
        float32 ``(size * size + 1,)``): the first action of :meth:`shortest_path` from the
        observed cell and has-key flag. From the start it walks exactly :meth:`shortest_path`."""
        table = {}
        for r, row in enumerate(self.layout):
            for c, char in enumerate(row):
                for has_key in (False, True):
                    if char not in "#G" and not (char == "D" and not has_key):
                        table[r * self.size + c, has_key] = self.shortest_path(((r, c), has_key))[0]

        def optimal(observation: np.ndarray) -> int:
            return table[int(np.argmax(observation[:-1])), bool(observation[-1] > 0.5)]

        return optimal

    # -- rendering -----------------------------------------------------------------------------
    def render(self) -> str | np.ndarray | None:
        """``"ansi"``: the map with the agent as ``A``, the key (until held) as ``K`` and the
        last action on a line above; ``"rgb_array"``: the same as a picture, uint8
        ``(size * 16, size * 16, 3)``; ``None`` without a render mode."""
        if self.render_mode is None:
            return None
        layout = list(self.layout)
        if self.has_key:
            row, col = self.key
            layout[row] = layout[row][:col] + "." + layout[row][col + 1 :]
        if self.render_mode == "rgb_array":
            return grid_frame(layout, self.position)
        return ansi_picture(layout, self.position, self.last_action)


def _check_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise TypeError(
            f"size must be an integer >= {MIN_SIZE}, got {type(size).__name__} {size!r}"
        )
    if size < MIN_SIZE:
        raise ValueError(f"size must be an integer >= {MIN_SIZE}, got {size}")
    return int(size)
