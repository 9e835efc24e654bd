"""A small deterministic gridworld with one-hot observations, registered with gymnasium.

Deterministic, with few states: the same (state, action) always gives the same reward and
next state, so a replay memory fills with exact duplicates. Explained in
notebooks/04_deduplication.ipynb (section "The deterministic gridworld").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import gymnasium as gym
import numpy as np

# Actions, in FrozenLake's order so a FrozenLake map behaves the same here.
LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
ACTION_NAMES = ("Left", "Down", "Right", "Up")
MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # (row, column) change of each action

#: The default 5×5 map. ``S`` start, ``G`` goal (+1, ends the episode), ``H`` pit (-1, ends
#: the episode), ``#`` wall (cannot be entered), ``.`` free. A shortest path takes 8 steps;
#: a uniformly random policy reaches the goal within 50 steps in about one episode in seven.
DEFAULT_MAP: tuple[str, ...] = (
    "S....",
    ".##..",
    "..H#.",
    ".....",
    ".#..G",
)

#: FrozenLake's 4×4 map (``F`` frozen = free, ``H`` hole); with ``pit_reward=0`` and
#: ``step_penalty=0`` this is FrozenLake-v1 with ``is_slippery=False`` and one-hot observations.
FROZEN_LAKE_4X4: tuple[str, ...] = ("SFFF", "FHFH", "FFFH", "HFFG")

_CELL_KINDS = {"S": "start", "G": "goal", "H": "pit", "#": "wall", ".": "free", "F": "free"}
_COLOURS = {  # RGB of each map character in ``rgb_array`` frames
    "S": (190, 215, 240),  # start
    "G": (90, 190, 90),  # goal
    "H": (40, 40, 40),  # pit
    "#": (120, 120, 120),  # wall
    ".": (245, 245, 245),  # free
    "F": (245, 245, 245),  # free (FrozenLake's letter)
    "K": (240, 200, 40),  # key (KeyDoor)
    "D": (140, 90, 50),  # locked door (KeyDoor)
}
_AGENT_COLOUR = (230, 120, 20)


class GridWorldEnv(gym.Env[np.ndarray, np.int64]):
    """An agent walks on a grid from a fixed start to a goal, avoiding walls and pits.

    * **Observation**: the one-hot encoding of the agent's cell, float32 of shape
      ``(rows * cols,)``; entry ``row * cols + col`` is 1. (The library's actor-critic
      network needs a vector, not an integer.)
    * **Actions**: ``Discrete(4)``: 0 left, 1 down, 2 right, 3 up. A move into a wall or off
      the grid leaves the agent where it is.
    * **Reward**: ``goal_reward`` for entering the goal, ``pit_reward`` for entering a pit,
      ``-step_penalty`` for every other step.
    * **Termination**: entering the goal or a pit. **Truncation**: by the ``TimeLimit``
      wrapper that ``gymnasium.make`` adds (``max_episode_steps`` of the registration).
    * **Determinism**: transitions are deterministic and the start is fixed, so ``reset``'s
      ``seed`` only seeds :attr:`np_random` (unused by the dynamics).

    Args:
        layout: the map, one string per row, all the same length, using ``S`` (exactly one
            start), ``G`` (at least one goal), ``H`` pit, ``#`` wall, ``.`` or ``F`` free.
            The goal must be reachable from the start.
        goal_reward: reward for entering a goal cell.
        pit_reward: reward for entering a pit cell.
        step_penalty: subtracted on every step that enters neither a goal nor a pit, ``>= 0``.
        render_mode: ``None``, ``"ansi"`` (a text picture) or ``"rgb_array"`` (uint8
            ``(rows * 16, cols * 16, 3)``).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        layout: Sequence[str] = DEFAULT_MAP,
        *,
        goal_reward: float = 1.0,
        pit_reward: float = -1.0,
        step_penalty: float = 0.01,
        render_mode: str | None = None,
    ) -> None:
        self.layout = _check_layout(layout)
        self.rows, self.cols = len(self.layout), len(self.layout[0])
        self.goal_reward = _check_finite("goal_reward", goal_reward)
        self.pit_reward = _check_finite("pit_reward", pit_reward)
        self.step_penalty = _check_finite("step_penalty", step_penalty)
        if self.step_penalty < 0:
            raise ValueError(f"step_penalty must be >= 0, got {step_penalty}")
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.kinds = [[_CELL_KINDS[char] for char in row] for row in self.layout]
        self.start = next(
            (r, c) for r, row in enumerate(self.layout) for c, char in enumerate(row) if char == "S"
        )
        if self.shortest_path_length() is None:
            raise ValueError("layout: no goal is reachable from the start")
        self.n_cells = self.rows * self.cols
        self.observation_space = gym.spaces.Box(0.0, 1.0, (self.n_cells,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(4)
        self.position = self.start
        self.last_action: int | None = None

    # -- dynamics ------------------------------------------------------------------------------
    def _observation(self) -> np.ndarray:
        obs = np.zeros(self.n_cells, dtype=np.float32)
        obs[self.position[0] * self.cols + self.position[1]] = 1.0
        return obs

    def _info(self) -> dict[str, Any]:
        return {"position": self.position}

    def _next_position(self, position: tuple[int, int], action: int) -> tuple[int, int]:
        row, col = position[0] + MOVES[action][0], position[1] + MOVES[action][1]
        if not (0 <= row < self.rows and 0 <= col < self.cols) or self.kinds[row][col] == "wall":
            return position
        return row, col

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Put the agent on the start cell; return ``(observation, {"position": (row, col)})``."""
        super().reset(seed=seed)
        self.position = self.start
        self.last_action = None
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move one cell; return ``(observation, reward, terminated, False, info)``."""
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an integer in [0, 4), got {action!r}")
        self.position = self._next_position(self.position, int(action))
        self.last_action = int(action)
        kind = self.kinds[self.position[0]][self.position[1]]
        if kind == "goal":
            reward, terminated = self.goal_reward, True
        elif kind == "pit":
            reward, terminated = self.pit_reward, True
        else:
            reward, terminated = -self.step_penalty, False
        return self._observation(), reward, terminated, False, self._info()

    # -- analysis ------------------------------------------------------------------------------
    def shortest_path(self, start: tuple[int, int] | None = None) -> list[int] | None:
        """The actions of a shortest walk from ``start`` (default: the start cell) to a goal
        avoiding pits, by breadth-first search trying actions in order 0-3, or ``None`` if
        there is none. Following it from the start cell gives the optimal return."""

        def moves(position: tuple[int, int]) -> Iterable[tuple[int, tuple[int, int]]]:
            if self.kinds[position[0]][position[1]] == "pit":  # the episode ends there
                return ()
            return ((action, self._next_position(position, action)) for action in range(4))

        def is_goal(position: tuple[int, int]) -> bool:
            return self.kinds[position[0]][position[1]] == "goal"

        return breadth_first_path(self.start if start is None else start, moves, is_goal)

    def optimal_policy(self) -> Callable[[np.ndarray], int]:
        """A deterministic optimal policy: ``policy(observation) -> action``, the first action
        of :meth:`shortest_path` from the observed cell (observation: one-hot ``(rows * cols,)``).
        From the start cell it walks exactly :meth:`shortest_path`."""
        table = {}
        for r in range(self.rows):
            for c in range(self.cols):
                if self.kinds[r][c] in ("start", "free"):
                    path = self.shortest_path((r, c))
                    if path:
                        table[r * self.cols + c] = path[0]

        def optimal(observation: np.ndarray) -> int:
            return table[int(np.argmax(observation))]

        return optimal

    def shortest_path_length(self) -> int | None:
        """Number of steps of :meth:`shortest_path` (``None`` if the goal is unreachable)."""
        path = self.shortest_path()
        return None if path is None else len(path)

    def optimal_return(self) -> float:
        """Undiscounted return of the shortest path: the goal reward after ``L - 1`` penalties."""
        length = self.shortest_path_length()
        return self.goal_reward - self.step_penalty * (length - 1)

    # -- rendering -----------------------------------------------------------------------------
    def render(self) -> str | np.ndarray | None:
        """``"ansi"``: the map with the agent as ``A`` (and the last action);
        ``"rgb_array"``: uint8 ``(rows * 16, cols * 16, 3)``; ``None`` without a render mode."""
        if self.render_mode == "ansi":
            return ansi_picture(self.layout, self.position, self.last_action)
        if self.render_mode == "rgb_array":
            return grid_frame(self.layout, self.position)
        return None


State = TypeVar("State", bound=Hashable)


def breadth_first_path(
    start: State,
    moves: Callable[[State], Iterable[tuple[int, State]]],
    is_goal: Callable[[State], bool],
) -> list[int] | None:
    """The actions of a shortest walk from ``start`` to a state where ``is_goal`` holds, or
    ``None`` if there is none, by breadth-first search.

    ``moves(state)`` yields ``(action, next_state)`` in the order to try them (ties go to the
    first); a state without moves is a dead end (e.g. a pit, where the episode ends). Shared
    by the gridworlds here: a state is a cell ``(row, col)``, or for the key-and-door world
    ``((row, col), has_key)``.
    """
    parent: dict[State, tuple[State, int] | None] = {start: None}
    frontier = deque([start])
    while frontier:
        state = frontier.popleft()
        if is_goal(state):
            actions = []
            while (step := parent[state]) is not None:
                state, action = step
                actions.append(action)
            return actions[::-1]
        for action, next_state in moves(state):
            if next_state not in parent:
                parent[next_state] = (state, action)
                frontier.append(next_state)
    return None


def ansi_picture(layout: Sequence[str], position: tuple[int, int], last_action: int | None) -> str:
    """The map ``layout`` (one string per row) with the agent drawn as ``A`` at ``position``,
    under a line naming the last action (if any); ends with a newline."""
    rows = [list(row) for row in layout]
    rows[position[0]][position[1]] = "A"
    text = "\n".join("".join(row) for row in rows)
    if last_action is not None:
        text = f"({ACTION_NAMES[last_action]})\n{text}"
    return text + "\n"


def grid_frame(layout: Sequence[str], position: tuple[int, int], cell: int = 16) -> np.ndarray:
    """The map ``layout`` (one string per row) as a picture, uint8 ``(rows * cell,
    cols * cell, 3)``: each character's colour, grid lines, the agent as a square at
    ``position``."""
    rows, cols = len(layout), len(layout[0])
    frame = np.empty((rows * cell, cols * cell, 3), dtype=np.uint8)
    for r, row in enumerate(layout):
        for c, char in enumerate(row):
            frame[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell] = _COLOURS[char]
    frame[::cell, :] = 200  # grid lines
    frame[:, ::cell] = 200
    r, c = position
    margin = cell // 4
    top, left = r * cell + margin, c * cell + margin
    frame[top : top + cell - 2 * margin, left : left + cell - 2 * margin] = _AGENT_COLOUR
    return frame


def check_render_mode(render_mode: str | None, render_modes: Sequence[str]) -> str | None:
    """Return ``render_mode`` if it is ``None`` or one of ``render_modes``, else raise
    ``ValueError`` naming it."""
    if render_mode is not None and render_mode not in render_modes:
        raise ValueError(
            f"render_mode must be None or one of {list(render_modes)}, got {render_mode!r}"
        )
    return render_mode


def _check_layout(layout: Sequence[str]) -> tuple[str, ...]:
    if isinstance(layout, str) or not all(isinstance(row, str) for row in layout):
        raise TypeError("layout must be a sequence of strings, one per row")
    rows = tuple(layout)
    if not rows or not rows[0] or len({len(row) for row in rows}) != 1:
        raise ValueError("layout must have at least one row, all rows of the same length")
    unknown = sorted({char for row in rows for char in row} - set(_CELL_KINDS))
    if unknown:
        raise ValueError(f"layout has unknown cells {unknown}; use S, G, H, #, . or F")
    starts = sum(row.count("S") for row in rows)
    if starts != 1:
        raise ValueError(f"layout must have exactly one start S, it has {starts}")
    if not any("G" in row for row in rows):
        raise ValueError("layout must have at least one goal G")
    return rows


def _check_finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)
