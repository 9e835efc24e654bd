"""Run the chapters' code top to bottom and compare no output.

    python tools/run_chapters.py notebooks/[0-9][0-9]_*.ipynb

``make test-compat`` runs this in each compatibility environment (``book/install.md``,
"Tested versions"): there the library's dependencies are older or newer than the pins the
committed outputs were made with, so a number or a table may print differently, but no cell
may raise.
``make test`` compares the outputs, under the pins, with nbval.

Each notebook runs in a fresh kernel of the interpreter that runs this script (never a
kernelspec found elsewhere on the machine), in the notebook's own folder as Jupyter runs it.
Cells marked ``# NBVAL_SKIP`` are left out, as nbval leaves them out. The last line printed is
``N passed, N failed``; the exit status is 1 if any notebook failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

SKIP_MARKER = "# NBVAL_SKIP"


class ThisInterpreter(KernelSpecManager):
    """Every kernel name resolves to ipykernel on ``sys.executable`` (what nbval's
    ``--nbval-current-env`` does), so the notebook runs in the environment under test."""

    def get_kernel_spec(self, kernel_name: str):  # noqa: ANN201 (jupyter_client's KernelSpec)
        return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())


def without_skipped_cells(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` without the code cells whose first line is ``# NBVAL_SKIP``."""
    notebook.cells = [
        cell
        for cell in notebook.cells
        if not (cell.cell_type == "code" and cell.source.lstrip().startswith(SKIP_MARKER))
    ]
    return notebook


def run(path: Path, timeout: int) -> None:
    """Execute every code cell of ``path``; raise nbclient's error for the first that fails."""
    notebook = without_skipped_cells(nbformat.read(path, as_version=4))
    kernel = KernelManager(kernel_spec_manager=ThisInterpreter(), kernel_name="python3")
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=timeout,
        resources={"metadata": {"path": str(path.resolve().parent)}},
    )
    try:
        client.execute()
    finally:  # nbclient shuts down only the kernels it started itself
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--timeout", type=int, default=1200, help="seconds one cell may take (default 1200)"
    )
    args = parser.parse_args(argv)
    failed = []
    for path in args.notebooks:
        start = time.perf_counter()
        try:
            run(path, args.timeout)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            failed.append(path.name)
            print(
                f"FAILED {path.name} after {time.perf_counter() - start:.0f} s:\n{error}",
                flush=True,
            )
        else:
            print(f"passed {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
    passed = len(args.notebooks) - len(failed)
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
