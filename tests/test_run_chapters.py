"""``tools/run_chapters.py``, the compatibility environments' chapter runner: a cell that
raises fails its notebook and the exit status, ``# NBVAL_SKIP`` cells are left out, the
kernel is the interpreter that runs the tool, in the notebook's folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def write_notebook(path: Path, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# title")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x"}
    nbformat.write(notebook, path)
    return path


def run_tool(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "run_chapters.py"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_raising_cell_fails_its_notebook_and_the_run(tmp_path: Path) -> None:
    folder = tmp_path / "chapters"
    folder.mkdir()
    good = write_notebook(
        folder / "01_good.ipynb",
        "import sys\nfrom pathlib import Path",
        f"assert sys.executable == {sys.executable!r}, sys.executable",
        f"assert Path.cwd() == Path({str(folder)!r}), Path.cwd()",
        "# NBVAL_SKIP\nraise RuntimeError('a skipped cell ran')",
    )
    bad = write_notebook(folder / "02_bad.ipynb", "x = 1", "raise ValueError('broken chapter')")
    result = run_tool(good, bad)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert any(line.startswith("passed 01_good.ipynb") for line in lines), result.stdout
    assert "FAILED 02_bad.ipynb" in result.stdout and "broken chapter" in result.stdout
    # Each kernel is shut down after its notebook, not left to notice that the tool exited.
    assert "Parent appears to have exited" not in result.stderr, result.stderr


def test_all_passing_exits_zero(tmp_path: Path) -> None:
    result = run_tool(write_notebook(tmp_path / "03_ok.ipynb", "print('ok')"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"
