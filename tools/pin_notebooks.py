"""Pin the notebooks' install cell to one commit of this repository.

    python tools/pin_notebooks.py            # pin to HEAD
    python tools/pin_notebooks.py --commit SHA

The first code cell of every chapter installs ``a3cmem`` from GitHub when the library is
not importable (Colab, a bare Binder). It names a commit rather than a branch, so a reader
next year installs exactly the library the notebook was executed against. Run this after
re-executing the notebooks, and commit both together.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"(git\+https://github\.com/a3cmem/a3cmem(?:\.git)?@)([0-9a-f]{7,40})")


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
            if PIN.search(source):
                pinned = PIN.sub(lambda match: match.group(1) + commit, source)
                cell["source"] = pinned.splitlines(keepends=True)  # nbformat's usual layout
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        print(f"pinned {path.name} to {commit[:12]}")


if __name__ == "__main__":
    main()
