"""Claims in hand-written prose are checked against the data they quote.

``test_notebooks_meta.py`` checks that every number quoted in a chapter's Markdown appears
in some output. A sentence can quote the right numbers and still claim the wrong thing:
"less than half" of a median that is 0.52 of the other, "5 of 10 runs" where 4 did, a
p-value from another test. Here every such claim in the chapters' Markdown, in the README
outside its rendered block and in the website's pages (``book/*.md``, where the README's
studies and benchmarks moved) outside their quoted tables is found by pattern —

- a **p-value claim**: ``p = 0.038``, ``p_Holm = 0.19``, ``$p_\\text{Holm}$ = 0.0042``;
- a **ratio claim** in words: ``less than half``, ``about half``, ``more than twice``, ...;
- a **count claim**: ``k of n`` (``5 of 10``, ``three of the eight``);

— and must have an entry in :data:`CHECKS`, whose function recomputes it from the committed
results and asserts it. A claim without one fails the test: render the sentence from the
data (``display(Markdown(...))``, ``tools/render_readme.py``) or add its check here.
Definitions ("a rate solves when at least half of its seeds...") are listed in
:data:`NOT_CLAIMS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten"
P_VALUE = re.compile(r"\bp(?:_Holm)?\s*(?:=|<|≤|<=)\s*\d[\d.]*(?:e-?\d+)?", re.IGNORECASE)
RATIO = re.compile(
    r"\b(?:less than|more than|about|nearly|almost|under|over|at least|at most|roughly)\s+"
    r"(?:half|twice|double|a third|a quarter|two thirds)\b",
    re.IGNORECASE,
)
COUNT = re.compile(
    rf"\b(?:\d+|{NUMBER_WORDS})\s+(?:of|out of)\s+(?:the\s+)?(?:\d+|{NUMBER_WORDS})\b",
    re.IGNORECASE,
)
KINDS = {"p-value": P_VALUE, "ratio": RATIO, "count": COUNT}


def _prose(text: str) -> str:
    """Markdown with maths removed, except that ``$p$``-like symbols read as ``p``."""
    text = re.sub(r"\$p_\\text\{Holm\}\$", "p_Holm", text)
    text = re.sub(r"\$p\$", "p", text)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    return re.sub(r"\$[^$]*\$", " ", text)


QUOTED_TABLE = re.compile(
    r"<!-- table from bench/results/.*?<!-- end of the quoted table -->", re.DOTALL
)


def _sources() -> list[tuple[str, str]]:
    """(place, hand-written prose): every chapter's Markdown cells, the README without its
    rendered block and every page of ``book/`` (``book/NAME``) without its quoted tables."""
    places = []
    for path in CHAPTERS:
        cells = json.loads(path.read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                places.append((f"{path.stem}:{index}", _prose("".join(cell["source"]))))
    readme = (ROOT / "README.md").read_text()
    begin = readme.index("<!-- rendered by tools/render_readme.py")
    end = readme.index("<!-- end of the rendered block -->")
    places.append(("README", _prose(QUOTED_TABLE.sub(" ", readme[:begin] + readme[end:]))))
    for page in sorted((ROOT / "book").glob("*.md")):
        places.append((f"book/{page.stem}", _prose(QUOTED_TABLE.sub(" ", page.read_text()))))
    return places


def found_claims() -> list[tuple[str, str, str, str]]:
    """(place, kind, the claim as matched, the sentence around it) for every claim."""
    claims = []
    for place, text in _sources():
        for kind, pattern in KINDS.items():
            for match in pattern.finditer(text):
                around = " ".join(text[max(0, match.start() - 90) : match.end() + 90].split())
                claims.append((place, kind, " ".join(match.group(0).split()), around))
    return claims


# --- the data the checks read -------------------------------------------------------------


@cache
def _runs(folder: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / folder / "runs.csv")


@cache
def _study_stability() -> pd.DataFrame:
    from a3cmem_lib.experiments.study_stats import run_stability

    runs = _runs("study")
    return run_stability(pd.read_csv(RESULTS / "study" / "episodes.csv"), runs)


def _median_steps(folder: str, env_id: str, variant: str, **setting: float) -> float:
    from a3cmem_lib.experiments.study_stats import steps_or_budget

    runs = _runs(folder)
    chosen = (runs["env"] == env_id) & (runs["variant"] == variant)
    for column, value in setting.items():
        chosen &= runs[column] == value
    return float(steps_or_budget(runs[chosen]).median())


def _keydoor_fraction(variant: str) -> float:
    plain = _median_steps("regime", "a3cmem/KeyDoor-v0", "none")
    return _median_steps("regime", "a3cmem/KeyDoor-v0", variant) / plain


def _collapsed(variant: str) -> tuple[int, int]:
    """(collapsed, solved) CartPole runs of the stability study."""
    stability = _study_stability()
    chosen = stability[(stability["env"] == "CartPole-v1") & (stability["variant"] == variant)]
    solved = chosen[chosen["solved"]]
    return int(solved["collapsed"].sum()), len(solved)


def _solved(folder: str, env_id: str, variant: str) -> tuple[int, int]:
    runs = _runs(folder)
    chosen = runs[(runs["env"] == env_id) & (runs["variant"] == variant)]
    return int(chosen["steps_to_threshold"].notna().sum()), len(chosen)


# --- the checks ------------------------------------------------------------------------------


def _check_keydoor_half() -> None:
    assert _keydoor_fraction("per") < 0.5 and _keydoor_fraction("per+dedup") < 0.5


def _check_keydoor_mixture_about_half() -> None:
    assert 0.45 <= _keydoor_fraction("mixture") <= 0.55


def _check_high_ratios_about_half() -> None:
    plain = _median_steps("regime", "CartPole-v1", "none")
    for variant, ratio in (("fifo", 8.0), ("per", 16.0)):
        steps = _median_steps("replay-ratio", "CartPole-v1", variant, replay_ratio=ratio)
        assert 0.4 <= steps / plain <= 0.6, (variant, steps, plain)


def _check_about_half_in_chapter_07() -> None:
    # "the mixture at about half" (KeyDoor) and "fifo at ratio 8 and per at 16 ... in about
    # half of plain A3C's median steps" (replay-ratio axis)
    _check_keydoor_mixture_about_half()
    _check_high_ratios_about_half()


def _check_collapses() -> None:
    # "5 of 10 fifo, 6 of 10 per and 3 of 9 solved per+dedup runs ... more than half"
    from a3cmem_lib.experiments.study_stats import COLLAPSE_FRACTION

    assert COLLAPSE_FRACTION == 0.5
    assert _collapsed("fifo") == (5, 10) and _collapsed("per") == (6, 10)
    assert _collapsed("per+dedup") == (3, 9) and _collapsed("none")[0] == 0


def _check_per_dedup_solved_9_of_10() -> None:
    assert _solved("study", "CartPole-v1", "per+dedup") == (9, 10)


def _check_fifo_solved_2_of_3_in_the_benchmark() -> None:
    solve = json.loads((ROOT / "bench/results/memory_layer.json").read_text())["solve"]
    fifo = [trial for trial in solve if trial["variant"] == "fifo"]
    assert (sum(trial["solved"] for trial in fifo), len(fifo)) == (2, 3)


def _chapter_output_line(stem: str, prefix: str) -> str:
    """The first output line of chapter ``stem`` that starts with ``prefix``."""
    cells = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())["cells"]
    for cell in cells:
        for output in cell.get("outputs", []):
            for line in "".join(output.get("text", "")).splitlines():
                if line.startswith(prefix):
                    return line
    raise AssertionError(f"{stem}: no output line starts with {prefix!r}")


def _check_three_of_eight_segments() -> None:
    # chapter 03: item 7 owns more than a quarter of the mass at alpha = 0.6 and fills three
    # of the eight stratified segments of the printed batch
    shares = _chapter_output_line("03_prioritized_replay", "P(i), α = 0.6:").split(":")[1]
    assert float(shares.split()[7]) > 0.25
    drawn = _chapter_output_line("03_prioritized_replay", "sampled indices:").split(":")[1]
    indices = json.loads(drawn)
    assert len(indices) == 8 and indices.count(7) == 3


CHECKS: dict[tuple[str, str], Callable[[], None]] = {
    ("03_prioritized_replay", "more than a quarter"): _check_three_of_eight_segments,
    ("03_prioritized_replay", "three of the eight"): _check_three_of_eight_segments,
    ("07_when_does_memory_help", "less than half"): _check_keydoor_half,
    ("07_when_does_memory_help", "about half"): _check_about_half_in_chapter_07,
    ("06_stability_study", "more than half"): _check_collapses,
    ("06_stability_study", "5 of 10"): _check_collapses,
    ("06_stability_study", "6 of 10"): _check_collapses,
    ("06_stability_study", "3 of 9"): _check_collapses,
    ("book/results", "more than half"): _check_collapses,
    ("book/results", "9 of 10"): _check_per_dedup_solved_9_of_10,
    ("book/benchmarks", "2 of 3"): _check_fifo_solved_2_of_3_in_the_benchmark,
}
"""(chapter stem, ``README`` or ``book/NAME``, the claim as matched) → its check."""

NOT_CLAIMS = {
    ("07_when_does_memory_help", "at least half"),  # the definition of a rate that solves
    ("07_when_does_memory_help", "2 of 3"),  # "with 3 seeds, that is 2 of 3": arithmetic
    ("08_scaling_out", "at most half"),  # what Ray's object store asks for, a setting
    ("06_stability_study", "one of two"),  # a paper's title
    ("07_when_does_memory_help", "one of two"),  # the same title
}
"""(place, claim) pairs that are definitions, settings or titles, not claims about data."""


def _key(place: str, claim: str) -> tuple[str, str]:
    return place.split(":")[0], claim.lower()


def test_every_claim_has_a_check_or_is_rendered() -> None:
    checks = {(place, claim.lower()) for place, claim in CHECKS}
    skipped = {(place, claim.lower()) for place, claim in NOT_CLAIMS}
    unchecked = [
        f"{place} [{kind}] {claim!r}: ...{around}..."
        for place, kind, claim, around in found_claims()
        if _key(place, claim) not in checks | skipped
    ]
    assert not unchecked, (
        "claims in hand-written prose without a check against the data: render the sentence "
        "from the data, or add a check to tests/test_prose_claims.py:\n" + "\n".join(unchecked)
    )


@pytest.mark.parametrize("key", list(CHECKS), ids=lambda key: f"{key[0]}:{key[1]}")
def test_claim_holds_on_the_committed_data(key: tuple[str, str]) -> None:
    CHECKS[key]()


def test_every_check_still_has_its_claim() -> None:
    present = {_key(place, claim) for place, _, claim, _ in found_claims()}
    stale = [key for key in CHECKS if (key[0], key[1].lower()) not in present]
    assert not stale, f"checks whose claim is no longer in the prose (remove them): {stale}"


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("the mixture needed less than half of plain A3C's steps", ["ratio"]),
        ("5 of 10 runs collapsed", ["count"]),
        ("a small gain ($p_\\text{Holm}$ = 0.043)", ["p-value"]),
        ("one-sided p = 0.038, p_Holm = 0.19", ["p-value", "p-value"]),
        ("the mean of the last 20 episodes, 2 workers", []),
        ("$p = 0.9 \\max_t |\\delta_t|$ is a priority", []),
    ],
)
def test_the_patterns_find_each_kind_of_claim(text: str, kinds: list[str]) -> None:
    prose = _prose(text)
    found = sorted(kind for kind, pattern in KINDS.items() for _ in pattern.finditer(prose))
    assert found == sorted(kinds)


def test_a_wrong_claim_fails_its_check() -> None:
    """The checks read the data: the mixture's KeyDoor steps are 0.52 of plain A3C's, so
    "less than half" fails for it, and the collapse counts fail for a wrong number."""
    with pytest.raises(AssertionError):
        assert _keydoor_fraction("mixture") < 0.5
    assert _collapsed("fifo") != (4, 10)
