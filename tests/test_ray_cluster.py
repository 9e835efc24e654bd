"""The Ray backend on a two-node cluster started on this machine (``ray.cluster_utils``):
a run whose actors need both nodes, and a study whose runs are spread over them."""

from __future__ import annotations

import pandas as pd
import pytest
import ray
from ray.cluster_utils import Cluster
from ray.util.state import list_actors, list_tasks

from a3cmem_lib.experiments.study import StudyConfig, run_study
from a3cmem_lib.experiments.tables import RUNS_FILE
from a3cmem_lib.training import TrainConfig, train


@pytest.fixture(scope="module")
def two_nodes():
    """A head node and a second node, 2 CPUs each, and this process connected to them."""
    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
    cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, logging_level="warning")
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_three_workers_on_two_nodes_deliver_every_step_once(two_nodes):
    config = TrainConfig(
        num_workers=3,  # + the memory actor: 4 CPUs, so both nodes are needed
        total_steps=3_000,
        memory="per",
        capacity=1_000,
        batch_size=8,
        progress=False,
        backend="ray",
        ray_address=two_nodes.address,  # the connected cluster is reused
    )
    result = train(config)
    stats = result.memory_stats
    assert result.global_step == result.steps_this_run == 3_000
    assert stats["steps_received"] == result.steps_this_run
    assert stats["segments_received"] >= 3_000 / config.t_max
    assert set(result.episodes["worker"]) == {0, 1, 2}
    run_actors = [a for a in list_actors() if a.class_name in ("RolloutWorker", "LearnerActor")]
    assert len(run_actors) == 4 and len({actor.node_id for actor in run_actors}) == 2
    assert list_actors(filters=[("state", "!=", "DEAD")]) == []


def test_study_runs_spread_over_the_cluster(two_nodes, tmp_path):
    study = StudyConfig(
        envs=("CartPole-v1",),
        variants=("none", "fifo"),
        seeds=1,
        steps={"CartPole-v1": 1_000},
        base=TrainConfig(num_workers=1, batch_size=8, progress=False),
    )
    episodes = run_study(study, tmp_path, progress=False, backend="ray", address=two_nodes.address)
    runs = pd.read_csv(tmp_path / RUNS_FILE)
    assert len(runs) == 2 and set(episodes["variant"]) == {"none", "fifo"}
    tasks = list_tasks(filters=[("func_or_class_name", "=", "run_job_locally")])
    assert len({task.node_id for task in tasks}) == 2  # each task reserves 2 CPUs: one node
