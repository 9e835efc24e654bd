"""Pictures of an episode: a frame per step, from the environment's ``rgb_array`` render
mode (classic control through pygame, the library's grid worlds) or, for MinAtar, drawn
from the observation's channels; written as an animated GIF (or an MP4 with ffmpeg).

Explained in notebooks/01_a3c_basics.ipynb (section "Watching the agent").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np

VIDEO_SUFFIXES = (".gif", ".mp4")
"""What a recording can be written as."""
MAX_SIDE = 320
"""Frames are shrunk (by an integer factor) until their longer side is at most this many
pixels: a few hundred kilobytes for a CartPole episode."""
MINATAR_CELL = 16
"""Pixels per MinAtar grid cell in a drawn frame."""
_MINATAR_COLOURS = np.array(
    [
        (230, 120, 20),
        (60, 140, 220),
        (90, 190, 90),
        (220, 60, 60),
        (240, 200, 40),
        (150, 90, 200),
        (40, 190, 190),
        (200, 200, 200),
        (140, 90, 50),
        (240, 130, 190),
    ],
    dtype=np.uint8,
)
"""One colour per observation channel of a MinAtar game (at most 10 channels)."""


def check_video_path(path: str | Path) -> Path:
    """``path`` as a ``Path`` if its suffix is one of :data:`VIDEO_SUFFIXES`, else a
    ``ValueError`` saying which are."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(
            f"a recording is written as one of {list(VIDEO_SUFFIXES)}, got {str(path)!r}"
        )
    if path.suffix.lower() == ".mp4" and shutil.which("ffmpeg") is None:
        raise ValueError(f"writing {str(path)!r} needs ffmpeg on PATH; write a .gif instead")
    return path


def draws_from_observations(env_id: str) -> bool:
    """Whether frames of ``env_id`` are drawn from its observations (MinAtar) rather than
    rendered by the environment."""
    return env_id.startswith("MinAtar/")


def headless_rendering() -> None:
    """Let pygame (classic control's ``rgb_array`` renderer) draw without a display:
    SDL's dummy video driver, unless the user chose one."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


def check_drawable(env: gym.Env, env_id: str) -> None:
    """Raise ``ValueError`` unless ``env_id``'s frames can be had: MinAtar's from its
    observations, any other environment's from its ``rgb_array`` render mode."""
    if draws_from_observations(env_id):
        return
    modes = env.metadata.get("render_modes", [])
    if "rgb_array" not in modes:
        raise ValueError(
            f"env_id {env_id!r} cannot be drawn: its render modes are {list(modes)}, "
            "a recording needs 'rgb_array'"
        )


def observation_frame(observation: np.ndarray) -> np.ndarray:
    """A MinAtar observation, bool ``(H, W, C)``, as a picture uint8
    ``(H * 16, W * 16, 3)``: black background, each channel's objects in its colour (the
    last channel drawn wins)."""
    height, width, channels = observation.shape
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    for channel in range(channels):
        frame[observation[:, :, channel] > 0] = _MINATAR_COLOURS[channel % len(_MINATAR_COLOURS)]
    return frame.repeat(MINATAR_CELL, axis=0).repeat(MINATAR_CELL, axis=1)


def shrink(frame: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """``frame`` (H, W, 3) subsampled by the smallest integer factor that brings its longer
    side to at most ``max_side``."""
    factor = max(1, -(-max(frame.shape[:2]) // max_side))
    return np.ascontiguousarray(frame[::factor, ::factor])


def write_video(frames: Sequence[np.ndarray], path: str | Path, fps: float = 30.0) -> Path:
    """Write ``frames`` (uint8 (H, W, 3) each, at least one) to ``path`` (a suffix of
    :data:`VIDEO_SUFFIXES`) at ``fps`` frames per second; returns the path."""
    path = check_video_path(path)
    if not frames:
        raise ValueError("a recording needs at least one frame")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps!r}")
    small = [shrink(np.asarray(frame, dtype=np.uint8)) for frame in frames]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".gif":
        from PIL import Image  # Pillow comes with matplotlib

        images = [Image.fromarray(frame) for frame in small]
        images[0].save(
            path,
            save_all=True,
            append_images=images[1:],
            duration=max(20, round(1000 / fps)),
            loop=0,
            optimize=True,
        )
        return path
    height, width = small[0].shape[:2]
    command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    command += ["-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-"]
    command += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(command, input=b"".join(f.tobytes() for f in small), check=True)
    return path
