"""A run whose output disk fills up, on a real small file system (a size-limited tmpfs,
mounted for the test; that needs root, so elsewhere the tests are skipped with the reason):
one line naming the file, exit code 1, every file written before kept whole, no temporary
file and no worker left behind. A memory-layer checkpoint stores only the filled part of
its buffer, so a short run's folder fits where the preallocated buffer would not."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from a3cmem_lib.training import load_checkpoint

TIMEOUT_SECONDS = 300


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``"1m"``) mounted at ``folder`` for the block, then unmounted."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave_bytes: int) -> None:
    """Write a filler file until at most ``leave_bytes`` stay free on ``disk``."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as filler:
        with contextlib.suppress(OSError):
            filler.write(b"\0" * max(0, free - leave_bytes))


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "a3cmem_lib", "train", "--no-progress", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


def leftovers(folder: Path) -> list[str]:
    """Temporary files (``.NAME.PID.tmp``) left in ``folder``."""
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_a_memory_checkpoint_stores_only_the_filled_buffer(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "1m") as disk:
        out = disk / "run"
        done = run_cli("--memory", "fifo", "--steps", "3000", "--out", str(out))
        assert done.returncode == 0, done.stderr
        checkpoint = load_checkpoint(out / "checkpoint.pt")
        size = checkpoint.memory_state["size"]
        columns = checkpoint.memory_state["storage"]["columns"]
        assert 0 < size < checkpoint.config.capacity
        assert all(column.shape[0] == size for column in columns)
        assert (out / "checkpoint.pt").stat().st_size < 1024**2 // 2


def test_a_full_disk_is_one_line_and_keeps_the_files_written_before(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "2m") as disk:
        out = disk / "run"
        first = run_cli("--steps", "2000", "--out", str(out))
        assert first.returncode == 0, first.stderr
        before = {name: (out / name).read_bytes() for name in ("episodes.csv", "checkpoint.pt")}
        fill(disk, leave_bytes=16 * 1024)
        resumed = run_cli(
            "--steps",
            "20000",
            "--checkpoint-every",
            "4000",
            "--out",
            str(out),
            "--resume-from",
            str(out / "checkpoint.pt"),
        )
        lines = resumed.stderr.strip().splitlines()
        assert resumed.returncode == 1, resumed.stderr
        assert len(lines) == 1 and lines[0].startswith("a3cmem train: error: cannot write "), lines
        assert "No space left on device" in lines[0]
        written = lines[0].split("cannot write ")[1].split(":")[0]
        assert Path(written).parent == out
        assert leftovers(out) == []
        for name, contents in before.items():
            after = (out / name).read_bytes()
            if after != contents:  # replaced whole by a later complete write, never cut
                assert name == "episodes.csv" and after.startswith(contents.split(b"\n")[0])
        load_checkpoint(out / "checkpoint.pt")
