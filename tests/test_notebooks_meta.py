"""The textbook's promises that nbval alone does not check.

- every link and badge in the README and the notebooks points at a file of this repository;
- every chapter opens with a Colab badge for itself and the standard setup cell, pinned to a
  commit that exists and holds the same library and pyproject.toml as HEAD; links to library
  files are absolute GitHub links pinned to that commit (student copies live elsewhere);
- every exercise's check passes on the solution and fails on the student version, and every
  concept check passes on the chapter's answers and says "not answered" on the student's;
- notebooks are committed with outputs and without errors;
- every exercise carries the nbgrader metadata ``tools/nbgrader_metadata.py`` writes;
- every number the prose quotes appears in the chapter's outputs or code (a paragraph about a
  result that changes between executions is rendered from the value, CHAPTER_GUIDE.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from make_student_notebooks import strip_solutions  # noqa: E402
from nbgrader_metadata import ASSIGNS_ANSWERS, dump, with_metadata  # noqa: E402

from a3cmem_lib.exercises import ExerciseCheckError  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPO = "a3cmem/a3cmem"
LINK = re.compile(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"|src=\"([^\"]+)\"")
COLAB = re.compile(rf"https://colab\.research\.google\.com/github/{REPO}/blob/[^/]+/(\S+)")
BINDER = re.compile(rf"https://mybinder\.org/v2/gh/{REPO}/[^?\s]+(?:\?labpath=(\S+))?")
PIN = re.compile(rf"git\+https://github\.com/{REPO}(?:\.git)?@([0-9a-f]{{7,40}})")
BLOB = re.compile(rf"https://github\.com/{REPO}/blob/([0-9a-f]{{7,40}})/(\S+)")


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def source(cell: dict) -> str:
    return "".join(cell["source"])


def links_in(text: str) -> list[str]:
    return [next(group for group in match.groups() if group) for match in LINK.finditer(text)]


def repository_path(link: str, base: Path) -> Path | None:
    """The repository file a link points at, or None for links outside the repository."""
    for pattern in (COLAB, BINDER):
        match = pattern.match(link)
        if match:
            return ROOT / unquote(match.group(1)) if match.group(1) else ROOT
    blob = BLOB.match(link)
    if blob:
        return ROOT / unquote(blob.group(2).split("#")[0])
    if re.match(r"^[a-z]+:", link) or link.startswith("#"):
        return None  # another site, or an anchor in the same page
    return (base / unquote(link.split("#")[0])).resolve()


def documents() -> list[tuple[Path, str]]:
    docs = [(ROOT / "README.md", (ROOT / "README.md").read_text())]
    docs += [
        (ROOT / "notebooks/CHAPTER_GUIDE.md", (ROOT / "notebooks/CHAPTER_GUIDE.md").read_text())
    ]
    for path in CHAPTERS:
        text = "\n".join(
            source(cell) for cell in load(path)["cells"] if cell["cell_type"] == "markdown"
        )
        docs.append((path, text))
    return docs


@pytest.mark.parametrize("path, text", documents(), ids=lambda value: getattr(value, "name", ""))
def test_links_point_into_the_repository(path: Path, text: str) -> None:
    missing = []
    for link in links_in(text):
        target = repository_path(link, path.parent)
        if target is not None and "NN_name" not in link and not target.exists():
            missing.append(link)
    assert not missing, f"{path.name} links to paths that do not exist: {missing}"


def pin_of(path: Path) -> str:
    cells = load(path)["cells"]
    setup = source(next(cell for cell in cells if cell["cell_type"] == "code"))
    match = PIN.search(setup)
    assert match, f"{path.name}: the setup cell must install a3cmem pinned to a commit"
    return match.group(1)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_links_work_from_a_student_copy(path: Path) -> None:
    """Student copies are written outside notebooks/: no relative link may leave the folder,
    and GitHub links to library files name the setup cell's commit."""
    pin = pin_of(path)
    text = "\n".join(
        source(cell) for cell in load(path)["cells"] if cell["cell_type"] == "markdown"
    )
    leaving = [link for link in links_in(text) if link.startswith("../")]
    assert not leaving, f"{path.name}: relative links break in a student copy: {leaving}"
    stale = [m.group(0) for m in BLOB.finditer(text) if m.group(1) != pin]
    assert not stale, f"{path.name}: links not pinned to {pin[:12]}: run tools/pin_notebooks.py"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_code_uses_no_path_relative_to_its_folder(path: Path) -> None:
    """A student copy runs from another folder: data is found through the repository."""
    relative = [
        line.strip()
        for cell in load(path)["cells"]
        if cell["cell_type"] == "code"
        for line in source(cell).splitlines()
        if re.search(r"[\"']\.\./", line)
    ]
    assert not relative, (
        f"{path.name}: paths relative to notebooks/ break in a student copy: {relative}"
    )


def test_pinned_commit_holds_the_library_of_head() -> None:
    """Colab readers install the pinned commit: it must be the library the outputs show."""
    if not (ROOT / ".git").exists():
        pytest.skip("no .git here: the pinned commit cannot be compared with HEAD")
    pins = {pin_of(path) for path in CHAPTERS}
    assert len(pins) == 1, (
        f"chapters pin different commits {sorted(pins)}: run tools/pin_notebooks.py"
    )
    pin = pins.pop()
    paths = ["a3cmem_lib", "pyproject.toml"]
    diff = subprocess.run(
        ["git", "diff", "--quiet", pin, "HEAD", "--", *paths], cwd=ROOT, capture_output=True
    )
    changed = (
        subprocess.run(
            ["git", "diff", "--stat", pin, "HEAD", "--", *paths],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1:]
    )
    assert diff.returncode == 0, (
        f"the library or pyproject.toml changed between the pinned commit {pin[:12]} and HEAD "
        f"({' '.join(changed) or diff.stderr.decode().strip()}): re-execute the chapters, commit, "
        "then run `python tools/pin_notebooks.py` and commit again"
    )


def test_link_checker_catches_a_missing_file() -> None:
    text = f"[x](https://colab.research.google.com/github/{REPO}/blob/main/notebooks/99_gone.ipynb)"
    target = repository_path(links_in(text)[0], ROOT)
    assert target is not None and not target.exists()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_opens_with_badge_and_setup_cell(path: Path) -> None:
    cells = load(path)["cells"]
    title = source(cells[0])
    colab = [COLAB.match(link) for link in links_in(title)]
    assert any(match and match.group(1) == f"notebooks/{path.name}" for match in colab), (
        f"{path.name}: the first cell needs a Colab badge pointing at notebooks/{path.name}"
    )
    setup = source(next(cell for cell in cells if cell["cell_type"] == "code"))
    assert 'find_spec("a3cmem_lib") is None' in setup
    assert "enable_custom_widget_manager" in setup
    pin = PIN.search(setup)
    assert pin, f"{path.name}: the setup cell must install a3cmem pinned to a commit"
    if (ROOT / ".git").exists():
        known = subprocess.run(
            ["git", "cat-file", "-e", pin.group(1) + "^{commit}"], cwd=ROOT, capture_output=True
        )
        assert known.returncode == 0, f"{path.name}: pinned commit {pin.group(1)} is unknown"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_is_committed_with_outputs_and_no_errors(path: Path) -> None:
    code = [cell for cell in load(path)["cells"] if cell["cell_type"] == "code"]
    assert any(cell["outputs"] for cell in code), f"{path.name} has no outputs"
    errors = [o for cell in code for o in cell["outputs"] if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with an error output"


def exercises() -> list[tuple[str, str, str]]:
    """(id, solution cell, check cell) for every exercise in every chapter."""
    found = []
    for path in CHAPTERS:
        code = [source(cell) for cell in load(path)["cells"] if cell["cell_type"] == "code"]
        for index, text in enumerate(code):
            if "### BEGIN SOLUTION" in text and not ASSIGNS_ANSWERS.search(text):
                assert index + 1 < len(code), f"{path.name}: exercise without a check cell"
                found.append((f"{path.stem}[{index}]", text, code[index + 1]))
    return found


@pytest.mark.parametrize("name, solution, check", exercises(), ids=lambda value: value[:40])
def test_exercise_check_passes_on_solution_and_fails_on_stub(
    name: str, solution: str, check: str, capsys: pytest.CaptureFixture
) -> None:
    assert "check_" in check, f"{name}: the cell after a solution must call a check"
    namespace: dict = {}
    exec(compile(solution + "\n" + check, name, "exec"), namespace)  # noqa: S102
    assert "passed" in capsys.readouterr().out
    student: dict = {}
    with pytest.raises(ExerciseCheckError, match="not implemented"):
        exec(compile(strip_solutions(solution) + "\n" + check, name, "exec"), student)  # noqa: S102


def concept_checks(path: Path) -> tuple[str, list[str]]:
    """The concept-answers cell of a chapter and the check cells that follow it."""
    code = [source(cell) for cell in load(path)["cells"] if cell["cell_type"] == "code"]
    index = next(i for i, text in enumerate(code) if ASSIGNS_ANSWERS.search(text))
    checks = [text for text in code[index + 1 :] if "check_concept(" in text]
    return code[index], checks


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_concept_checks_pass_on_the_answers_and_fail_on_the_stub(
    path: Path, capsys: pytest.CaptureFixture
) -> None:
    answers, checks = concept_checks(path)
    assert 3 <= len(checks) <= 5, f"{path.name}: 3 to 5 concept checks, not {len(checks)}"
    namespace: dict = {}
    exec(compile(answers, path.name, "exec"), namespace)  # noqa: S102
    for check in checks:
        exec(compile(check, path.name, "exec"), namespace)  # noqa: S102
    assert capsys.readouterr().out.count(": right.") == len(checks)
    student: dict = {}
    with pytest.raises(NotImplementedError):
        exec(compile(strip_solutions(answers), path.name, "exec"), student)  # noqa: S102
    for check in checks:
        with pytest.raises(ExerciseCheckError, match="is not answered yet"):
            exec(compile(check, path.name, "exec"), student)  # noqa: S102


def test_student_version_replaces_solution_and_drops_hidden_tests() -> None:
    cell = (
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
        "### BEGIN HIDDEN TESTS\nassert f(1) == 2\n### END HIDDEN TESTS\n"
    )
    student = strip_solutions(cell)
    assert "return 2 * x" not in student and "assert" not in student
    assert "    raise NotImplementedError()" in student
    with pytest.raises(ValueError, match="unclosed"):
        strip_solutions("### BEGIN SOLUTION\nx = 1\n")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_chapter_carries_the_nbgrader_metadata_the_tool_writes(path: Path) -> None:
    text = path.read_text()
    assert dump(with_metadata(json.loads(text))) == text, (
        f"{path.name}: run `python tools/nbgrader_metadata.py` (its exercise cells lack the "
        "nbgrader metadata, or carry stale metadata)"
    )


# A number in prose: 1,234 or 0.806, not inside LaTeX, a word or a longer number.
PROSE_NUMBER = re.compile(r"(?<![\w.$\\{^_-])(\d{1,3}(?:,\d{3})+|\d+\.\d+)(?![\w}^]|\.\d)")
# Numbers the prose may quote that no cell computes: inputs, conventions, citations.
NOT_COMPUTED = {
    "01_a3c_basics": {"500,000"},  # TrainConfig's default budget, for the opt-in full run
    "02_fifo_buffer": {"0.01"},  # a conventional significance level
    "03_prioritized_replay": {"5,000"},  # the exercise check's number of draws
    "04_deduplication": {"2407.17032", "1903.03176"},  # arXiv ids
    "05_async_training_with_memory": {"4.1", "0.01", "5.5", "7.3"},  # sections, a level
    "06_stability_study": {"2.5", "97.5", "0.25", "0.75", "1806.08295", "2407.17032"},
    "09_acer": {"3.1", "3.2", "3.3", "1611.01224"},  # the ACER paper's sections, its arXiv id
}


def computed_numbers(cells: list[dict]) -> set[str]:
    """Every number written in a code cell or shown in an output (with and without commas)."""
    parts = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        parts.append(source(cell))
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for kind in ("text/plain", "text/markdown"):
                parts.append("".join(output.get("data", {}).get(kind, "")))
    text = re.sub(r"(?<=\d)_(?=\d)", "", "\n".join(parts))  # 10_000 in code is 10000
    numbers = {match.rstrip(",") for match in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    return numbers | {number.replace(",", "") for number in numbers}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_numbers_in_prose_appear_in_the_outputs(path: Path) -> None:
    cells = load(path)["cells"]
    known = computed_numbers(cells) | NOT_COMPUTED.get(path.stem, set())
    quoted = [
        (index, number)
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "markdown"
        for number in PROSE_NUMBER.findall(re.sub(r"\$[^$]*\$", "", source(cell)))
    ]
    unknown = [
        (index, n) for index, n in quoted if n not in known and n.replace(",", "") not in known
    ]
    assert not unknown, (
        f"{path.name}: (cell, number) quoted in markdown but shown by no output: {unknown}. "
        "Quote what the output prints, or render the paragraph from the value "
        "(display(Markdown(...)) in the cell that computes it)"
    )


def test_prose_number_check_catches_a_wrong_number() -> None:
    cells = [
        {"cell_type": "code", "source": ["x = 1"], "outputs": [{"text": ["rate 0.9848"]}]},
        {"cell_type": "markdown", "source": ["the rate, 0.9848, not 0.9884"]},
    ]
    known = computed_numbers(cells)
    text = source(cells[1])
    assert [n for n in PROSE_NUMBER.findall(text) if n not in known] == ["0.9884"]
