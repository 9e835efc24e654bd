"""Pin the notebooks' install cell to one commit of this repository.

    python tools/pin_notebooks.py            # pin to HEAD
    python tools/pin_notebooks.py --commit SHA

The first code cell of every chapter installs ``a3cmem`` from GitHub when the library is
not importable (Colab, a bare Binder). It names a commit rather than a branch, so a reader
next year installs exactly the library the notebook was executed against. Links from the
chapters to library source files are absolute GitHub links pinned to the same commit
(``https://github.com/a3cmem/a3cmem/blob/COMMIT/a3cmem_lib/...``), so they work from a
student copy written anywhere; they are re-pinned too.

Re-pinning is one command after the library changes: re-execute the notebooks, commit, run
this, and commit the notebooks again. ``tests/test_notebooks_meta.py`` fails while the
library or ``pyproject.toml`` at the pinned commit differ from HEAD.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"(git\+https://github\.com/a3cmem/a3cmem(?:\.git)?@)([0-9a-f]{7,40})")
BLOB = re.compile(r"(https://github\.com/a3cmem/a3cmem/blob/)([0-9a-f]{7,40})(?=/)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commit", help="commit to pin (default: HEAD)")
    args = parser.parse_args(argv)
    commit = (
        args.commit
        or subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=ROOT, text=True).strip()
    )
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            source = "".join(cell["source"])
            pinned = source
            for pattern in (PIN, BLOB):
                pinned = pattern.sub(lambda match: match.group(1) + commit, pinned)
            if pinned != source:
                cell["source"] = pinned.splitlines(keepends=True)  # nbformat's usual layout
        path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"pinned {path.name} to {commit[:12]}")


if __name__ == "__main__":
    main()
