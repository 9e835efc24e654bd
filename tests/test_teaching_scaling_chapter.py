"""check_study_wall_time (chapter 08's exercise): passes on correct answers, rejects the
typical wrong ones naming the case."""

from __future__ import annotations

import math

import pytest

from a3cmem_lib.exercises import ExerciseCheckError, check_study_wall_time


def study_wall_time(runs, run_seconds, cluster_cpus, num_workers):
    """The notebook's solution: whole tasks of num_workers + 1 CPUs, then whole rounds."""
    parallel = cluster_cpus // (num_workers + 1)
    if parallel == 0:
        raise ValueError(f"cluster_cpus={cluster_cpus} < num_workers + 1 = {num_workers + 1}")
    return math.ceil(runs / parallel) * run_seconds


def simulated(runs, run_seconds, cluster_cpus, num_workers):
    """Another correct answer: start runs while CPUs are free, round by round."""
    if num_workers + 1 > cluster_cpus:
        raise ValueError("the cluster has no room for one run")
    waiting, clock = runs, 0
    while waiting > 0:
        free = cluster_cpus
        while waiting > 0 and free >= num_workers + 1:
            free -= num_workers + 1
            waiting -= 1
        clock += 1
    return clock * run_seconds


def no_parent_cpu(runs, run_seconds, cluster_cpus, num_workers):
    """Wrong: a run reserves num_workers CPUs, forgetting the process that runs train."""
    parallel = cluster_cpus // num_workers
    if parallel == 0:
        raise ValueError("too small")
    return math.ceil(runs / parallel) * run_seconds


def fractional_tasks(runs, run_seconds, cluster_cpus, num_workers):
    """Wrong: divides the CPUs without rounding down to whole tasks."""
    parallel = cluster_cpus / (num_workers + 1)
    if parallel < 1:
        raise ValueError("too small")
    return math.ceil(runs / parallel) * run_seconds


def no_last_round(runs, run_seconds, cluster_cpus, num_workers):
    """Wrong: a round that is not full counts as a fraction of a round."""
    parallel = cluster_cpus // (num_workers + 1)
    if parallel == 0:
        raise ValueError("too small")
    return runs / parallel * run_seconds


def rounds_down(runs, run_seconds, cluster_cpus, num_workers):
    """Wrong: floor instead of ceil, the last, partial round is dropped."""
    parallel = cluster_cpus // (num_workers + 1)
    if parallel == 0:
        raise ValueError("too small")
    return runs // parallel * run_seconds


def no_error(runs, run_seconds, cluster_cpus, num_workers):
    """Wrong: a cluster too small for one run gets a wall time of infinity."""
    parallel = cluster_cpus // (num_workers + 1)
    return math.inf if parallel == 0 else math.ceil(runs / parallel) * run_seconds


@pytest.mark.parametrize("solution", [study_wall_time, simulated])
def test_check_passes_on_correct_answers(solution, capsys: pytest.CaptureFixture) -> None:
    check_study_wall_time(solution)
    check_study_wall_time(solution, seed=None)
    out = capsys.readouterr().out
    assert out.count("✓ check_study_wall_time passed (8 checks)") == 2


@pytest.mark.parametrize(
    "solution, case",
    [
        (no_parent_cpu, "a study small enough to schedule by hand"),
        (fractional_tasks, "CPUs left over after the last whole task"),
        (no_last_round, "a study small enough to schedule by hand"),
        (rounds_down, "a study small enough to schedule by hand"),
        (no_error, "a cluster too small for one task"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_check_rejects_wrong_answers_naming_the_case(solution, case: str) -> None:
    with pytest.raises(ExerciseCheckError, match=f"check_study_wall_time failed on {case}"):
        check_study_wall_time(solution)


def test_the_parent_cpu_is_caught_where_rounding_agrees() -> None:
    """The case built for the forgotten +1 fails it on its own."""
    with pytest.raises(ExerciseCheckError, match=r"failed on each run's parent process"):
        check_study_wall_time(
            lambda runs, seconds, cpus, workers: (
                no_parent_cpu(runs, seconds, cpus, workers)
                if (runs, cpus, workers) == (6, 6, 2)
                else study_wall_time(runs, seconds, cpus, workers)
            )
        )


def test_failure_message_shows_the_inputs_and_the_schedule() -> None:
    with pytest.raises(ExerciseCheckError) as caught:
        check_study_wall_time(no_parent_cpu)
    message = str(caught.value)
    assert "study_wall_time(runs=10, run_seconds=60, cluster_cpus=8, num_workers=1)" in message
    assert "expected 180 s, got 120 s" in message
    assert "num_workers + 1 = 2 CPUs" in message and "ceil(10 / 4) = 3 rounds" in message


def test_a_missing_error_names_the_cpus() -> None:
    with pytest.raises(ExerciseCheckError, match=r"num_workers \+ 1 = 4 CPUs.*raise ValueError"):
        check_study_wall_time(no_error)


def test_check_reports_a_missing_implementation_and_a_wrong_type() -> None:
    def stub(runs, run_seconds, cluster_cpus, num_workers):
        raise NotImplementedError()

    with pytest.raises(ExerciseCheckError, match="not implemented"):
        check_study_wall_time(stub)
    with pytest.raises(ExerciseCheckError, match="expected a number of seconds, got str"):
        check_study_wall_time(lambda *args: "180 s")


def test_fresh_seeds_are_named_in_a_failure() -> None:
    def wrong_on_random(runs, run_seconds, cluster_cpus, num_workers):
        answer = study_wall_time(runs, run_seconds, cluster_cpus, num_workers)
        return answer + 1.0 if runs > 10 else answer

    with pytest.raises(ExerciseCheckError, match=r"pass seed=\d+ to replay them"):
        check_study_wall_time(wrong_on_random, seed=None)
