"""check_dedup_key (chapter 04's exercise) passes on correct keys and rejects wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from a3cmem_lib.exercises import ExerciseCheckError, check_dedup_key


def rounded_key(item, decimals):
    """The notebook's solution: every field rounded, -0.0 folded into 0.0, as bytes."""

    def rounded(value):
        return (np.round(np.asarray(value, dtype=np.float64), decimals) + 0.0).tobytes()

    return (
        rounded(item.state),
        int(item.action),
        rounded(item.reward),
        rounded(item.next_state),
        bool(item.done),
    )


def tuple_key(item, decimals):
    """Another correct key: tuples of Python floats (-0.0 == 0.0 and they hash alike)."""
    return (
        tuple(float(x) for x in np.round(np.asarray(item.state, dtype=float), decimals)),
        int(item.action),
        round(float(item.reward), decimals),
        tuple(float(x) for x in np.round(np.asarray(item.next_state, dtype=float), decimals)),
        bool(item.done),
    )


def exact_key(item, decimals):
    return (
        np.asarray(item.state).tobytes(),
        int(item.action),
        np.asarray(item.next_state).tobytes(),
    )


def no_signed_zero_fix(item, decimals):
    return (
        np.round(np.asarray(item.state), decimals).tobytes(),
        int(item.action),
        float(item.reward),
        np.round(np.asarray(item.next_state), decimals).tobytes(),
        bool(item.done),
    )


def state_only(item, decimals):
    state = np.round(np.asarray(item.state, dtype=float), decimals) + 0.0
    return state.tobytes()


def array_key(item, decimals):
    return np.round(np.asarray(item.state), decimals) + 0.0


def fixed_decimals(item, decimals):
    return tuple_key(item, 2)


def action_unconverted(item, decimals):
    """Passes on Python ints, but inside DedupBuffer the action is a 0-d array: unhashable."""
    return (*tuple_key(item, decimals)[:1], item.action, *tuple_key(item, decimals)[2:])


def unrounded_next_state(item, decimals):
    """Wrong: next_state is keyed exactly (the issue's example: once reported as -0.0)."""
    return (*rounded_key(item, decimals)[:3], np.asarray(item.next_state).tobytes(), item.done)


@pytest.mark.parametrize("key", [rounded_key, tuple_key])
def test_check_passes_on_correct_keys(key, capsys: pytest.CaptureFixture) -> None:
    check_dedup_key(key)
    assert "✓ check_dedup_key passed (9 checks)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "key, case",
    [
        (exact_key, "near-duplicates"),
        (no_signed_zero_fix, "-0.0 and 0.0"),
        (unrounded_next_state, "near-duplicate next states: .*must be rounded like state"),
        (state_only, "distinct actions"),
        (array_key, "a hashable key"),
        (fixed_decimals, "the decimals argument"),
        (action_unconverted, "use as DedupBuffer's key"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_check_rejects_wrong_keys_naming_the_case(key, case: str) -> None:
    with pytest.raises(ExerciseCheckError, match=f"check_dedup_key .*{case}"):
        check_dedup_key(key)


def test_check_reports_a_missing_implementation() -> None:
    def stub(item, decimals):
        raise NotImplementedError()

    with pytest.raises(ExerciseCheckError, match="not implemented"):
        check_dedup_key(stub)
