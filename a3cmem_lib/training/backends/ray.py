"""One run on Ray: worker actors act, a learner actor owns the model (and the memory layer).

The path of an experience, each arrow one call::

    RolloutWorker.collect  → a batch of rollouts in the object store (the driver holds refs)
    driver                 → LearnerActor.receive(worker_id, batch, step): the batch goes from
                             the object store to the learner actor, never through the driver
    LearnerActor.receive   → MemoryLayer.receive (buffer.push, replay, Learner.update) or,
                             for plain A3C, one optimizer step per rollout gradient
    LearnerActor.weights   → (version, state) in the object store; the next collect of every
                             worker gets its ref and loads it only if the version is newer

Differences from the local backend (notebooks/08_scaling_out.ipynb):

- Plain A3C cannot be Hogwild across machines: there is no shared memory to write into
  without a lock. Workers send each rollout's clipped gradient to the learner actor, which
  applies them one at a time (so no update overwrites another, unlike Hogwild), and workers
  pull weights by version. A gradient is computed on weights up to one batch plus the
  pending pushes old (Hogwild's are stale by whatever the other workers wrote meanwhile).
- A worker's call collects a batch of rollouts (about 64 steps) and pushes it as one
  message; the driver starts a worker's next batch only while fewer than
  :data:`MAX_PENDING_PUSHES` of its pushes wait for the learner (back-pressure, as Ape-X's
  actors have a bounded number of requests in flight to a replay shard).
- Exactness: the driver counts every worker's steps and segments from its reports, the
  learner actor counts what arrived; at the end they must agree, per worker
  (``steps_received == steps_this_run``) or the run raises.
- A worker actor that dies is restarted by Ray (``max_restarts``); the batch it was
  collecting dies with it and is counted in ``memory_stats["batches_lost"]`` (its steps never
  left the process and are not in ``steps_this_run``); a finished batch whose push is lost
  (its object gone with a node) is counted in ``steps_lost`` and ``segments_lost``. A learner
  actor that dies fails the run with :class:`~a3cmem_lib.training.WorkerError`.

Explained in notebooks/08_scaling_out.ipynb.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

from a3cmem_lib.training.backends.ray_actors import LearnerActor, RolloutWorker
from a3cmem_lib.training.backends.ray_runtime import ensure_ray, import_ray
from a3cmem_lib.training.checkpoint import Checkpoint
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.driver import POLL_SECONDS, Snapshot
from a3cmem_lib.training.errors import SetupError, WorkerError
from a3cmem_lib.training.messages import BatchReport, Episode, stamp_episodes

ray = import_ray()

STEPS_PER_BATCH = 64
"""A worker's call collects ``ceil(STEPS_PER_BATCH / t_max)`` rollouts and pushes them as one
message: one Ray call costs about as much as acting a few dozen CartPole steps."""
MAX_PENDING_PUSHES = 2
"""Pushes of one worker the learner actor may not have processed yet (back-pressure)."""
WORKER_RESTARTS = 3
"""How often Ray restarts a worker actor that died (``max_restarts``)."""
_SHUTDOWN_SECONDS = 10.0


class RayBackend:
    """The Ray backend of :func:`a3cmem_lib.training.train` (``config.backend == "ray"``;
    see the module docstring for what differs from the local one).

    Ray is started (``config.ray_address`` is ``None``) or joined once per process and left
    running for the next run (``ray.shutdown()`` stops it); the run's actors are killed
    when the backend is left.

    Args:
        config: the run's configuration.
        obs_shape, n_actions: the environment's spaces.
        resumed: the checkpoint to continue from, or ``None``.

    Raises:
        ImportError: Ray is not installed (the message says how to install it).
        SetupError: no Ray cluster answers at ``config.ray_address``, or the cluster has
            fewer than ``num_workers + 1`` CPUs (one per worker actor, one for the learner).
    """

    progress_label = "A3C on Ray"

    def __init__(
        self,
        config: TrainConfig,
        obs_shape: tuple[int, ...],
        n_actions: int,
        resumed: Checkpoint | None = None,
    ) -> None:
        ensure_ray(config.ray_address, num_cpus=config.num_workers + 1)
        cpus = ray.cluster_resources().get("CPU", 0)
        if cpus < config.num_workers + 1:
            raise SetupError(
                f"num_workers: {config.num_workers} workers need {config.num_workers + 1} "
                "CPUs on the Ray cluster (one per worker actor, one for the learner actor); "
                f"it has {cpus:g}: lower num_workers, or add nodes or CPUs to the cluster"
            )
        self.config, self.obs_shape, self.n_actions = config, obs_shape, n_actions
        self.resumed = resumed
        self.start_step = resumed.global_step if resumed is not None else 0
        self.global_step = self.start_step
        workers = config.num_workers
        self.rollouts_per_batch = max(1, math.ceil(STEPS_PER_BATCH / config.t_max))
        self.steps_sent, self.segments_sent = [0] * workers, [0] * workers
        self.loss = {"worker_restarts": 0, "batches_lost": 0, "steps_lost": 0, "segments_lost": 0}
        self.restarts = [0] * workers
        self.stopping = False
        # ref -> (kind, worker_id, what the handler needs): the driver's outstanding calls
        self.pending: dict[Any, tuple[str, int, Any]] = {}
        self.busy = [False] * workers
        self.pushes = [0] * workers
        self.planned_steps = 0
        self.weights: tuple[int, Any] = (-1, None)
        self.weights_requested = False
        self.newest_version = 0
        self.learner = None
        self.workers: list[Any] = []
        self.episodes: list[Episode] = []
        self.start_time = time.monotonic()

    @property
    def running(self) -> bool:
        return bool(self.pending)

    def __enter__(self) -> RayBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- lifetime --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the actors and hand every worker its first batch."""
        self.start_actors()
        for worker_id in range(self.config.num_workers):
            self.submit(worker_id)

    def start_actors(self) -> None:
        """The learner actor (1 CPU, never restarted) and one worker actor per worker
        (1 CPU each, restarted up to :data:`WORKER_RESTARTS` times)."""
        config = self.config
        self.start_time = time.monotonic()
        learner_class = ray.remote(num_cpus=1, max_restarts=0)(LearnerActor)
        self.learner = learner_class.remote(config, self.obs_shape, self.n_actions, self.resumed)
        worker_class = ray.remote(num_cpus=1, max_restarts=WORKER_RESTARTS, max_task_retries=0)(
            RolloutWorker
        )
        self.workers = [
            worker_class.remote(config, worker_id, self.start_step)
            for worker_id in range(config.num_workers)
        ]
        self.request_weights()

    def shutdown(self) -> None:
        """Kill every actor of the run and wait (up to 10 s) until Ray reports each dead."""
        actors = [actor for actor in (self.learner, *self.workers) if actor is not None]
        for actor in actors:
            ray.kill(actor, no_restart=True)
        deadline = time.monotonic() + _SHUTDOWN_SECONDS
        alive = list(actors)
        while alive and time.monotonic() < deadline:
            still = []
            for actor in alive:
                try:
                    ray.get(actor.__ray_ready__.remote(), timeout=_SHUTDOWN_SECONDS)
                    still.append(actor)
                except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                    pass
            alive = still
            if alive:
                time.sleep(POLL_SECONDS)
        self.pending.clear()
        self.learner, self.workers = None, []

    # -- the driver's loop -----------------------------------------------------------------

    def stop(self, *, interrupted: bool = False) -> None:
        """Start no new batch; the batches and pushes under way finish."""
        self.stopping = True

    def poll(self, timeout: float = POLL_SECONDS) -> list[Episode]:
        """Wait up to ``timeout`` seconds for one outstanding call, handle every one that
        is done, and return the episodes that ended in the batches received."""
        self.episodes = []
        ready, _ = ray.wait(list(self.pending), num_returns=1, timeout=timeout)
        for ref in ready:
            kind, worker_id, extra = self.pending.pop(ref)
            handlers = {
                "batch": self.on_batch,
                "push": self.on_push,
                "weights": self.on_weights,
                "restarted": self.on_restarted,
            }
            handlers[kind](ref, worker_id, extra)
        return self.episodes

    def submit(self, worker_id: int) -> None:
        """Start the worker's next batch, unless it is busy, stopped, at its bound of
        pending pushes, or the budget is handed out."""
        remaining = self.config.total_steps - self.global_step - self.planned_steps
        if (
            self.busy[worker_id]
            or self.stopping
            or remaining <= 0
            or self.pushes[worker_id] >= MAX_PENDING_PUSHES
        ):
            return
        rollouts = min(self.rollouts_per_batch, math.ceil(remaining / self.config.t_max))
        version, state = self.weights
        report, batch = (
            self.workers[worker_id].collect.options(num_returns=2).remote(version, state, rollouts)
        )
        planned = rollouts * self.config.t_max
        self.pending[report] = ("batch", worker_id, (batch, planned))
        self.busy[worker_id] = True
        self.planned_steps += planned

    def on_batch(self, ref: Any, worker_id: int, extra: tuple[Any, int]) -> None:
        """A worker's batch is done: count it, record its episodes, push it to the learner."""
        batch, planned = extra
        self.planned_steps -= planned
        try:
            report: BatchReport = ray.get(ref)
        except ray.exceptions.RayActorError as error:
            self.worker_died(worker_id, error)
            return
        except ray.exceptions.RayTaskError as error:
            raise WorkerError(f"A3C worker {worker_id} raised on Ray:\n{error}") from None
        self.busy[worker_id] = False
        self.global_step += report.steps
        self.steps_sent[worker_id] += report.steps
        self.segments_sent[worker_id] += report.segments
        wall_time = time.monotonic() - self.start_time
        self.episodes += stamp_episodes(
            report.episodes, report.steps, self.global_step, wall_time, worker_id
        )
        push = self.learner.receive.remote(worker_id, batch, self.global_step)
        self.pending[push] = ("push", worker_id, report)
        self.pushes[worker_id] += 1
        self.submit(worker_id)

    def worker_died(self, worker_id: int, error: Exception) -> None:
        """Count a dead worker and the batch it was collecting; wait for Ray to restart it
        (the worker stays busy until then: a call to an actor being restarted fails)."""
        self.restarts[worker_id] += 1
        self.loss["worker_restarts"] += 1
        self.loss["batches_lost"] += 1
        warnings.warn(
            f"A3C worker {worker_id} died on Ray and is being restarted; the batch it was "
            "collecting is lost (memory_stats['batches_lost'])",
            RuntimeWarning,
            stacklevel=2,
        )
        ping = self.workers[worker_id].__ray_ready__.options(max_task_retries=-1).remote()
        self.pending[ping] = ("restarted", worker_id, error)

    def on_restarted(self, ref: Any, worker_id: int, death: Exception) -> None:
        """The worker is back (its next batch starts), or it is dead for good: fail."""
        try:
            ray.get(ref)
        except ray.exceptions.RayActorError:
            raise WorkerError(
                f"A3C worker {worker_id} died on Ray and was not restarted "
                f"({self.restarts[worker_id]} deaths, max_restarts={WORKER_RESTARTS}): {death}"
            ) from None
        self.busy[worker_id] = False
        self.submit(worker_id)

    def on_push(self, ref: Any, worker_id: int, report: BatchReport) -> None:
        """The learner has taken a batch: note the weights' version, ask for newer weights."""
        self.pushes[worker_id] -= 1
        try:
            version = ray.get(ref)
        except ray.exceptions.ObjectLostError:
            self.steps_sent[worker_id] -= report.steps
            self.segments_sent[worker_id] -= report.segments
            self.loss["steps_lost"] += report.steps
            self.loss["segments_lost"] += report.segments
            version = self.newest_version
        except ray.exceptions.RayActorError as error:
            raise self.learner_died(error) from None
        except ray.exceptions.RayTaskError as error:
            raise WorkerError(f"the learner actor raised on Ray:\n{error}") from None
        self.newest_version = max(self.newest_version, version)
        if self.newest_version > self.weights[0]:
            self.request_weights()
        self.submit(worker_id)

    def request_weights(self) -> None:
        """Ask the learner for its weights, unless a request is under way."""
        if self.weights_requested:
            return
        version, state = self.learner.weights.options(num_returns=2).remote()
        self.pending[version] = ("weights", -1, state)
        self.weights_requested = True

    def on_weights(self, ref: Any, worker_id: int, state: Any) -> None:
        """New weights are in the object store: the next batches get their ref."""
        self.weights_requested = False
        try:
            version = ray.get(ref)
        except ray.exceptions.RayActorError as error:
            raise self.learner_died(error) from None
        if version > self.weights[0]:
            self.weights = (version, state)

    def learner_died(self, error: Exception) -> WorkerError:
        """The error a dead learner actor is reported with."""
        what = (
            "memory actor (replay buffer and learner)"
            if self.config.memory != "none"
            else "learner actor (model and optimizer)"
        )
        return WorkerError(f"the {what} died on Ray; the run cannot go on without it: {error}")

    # -- the result ------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The run so far, fetched from the learner actor."""
        return self.state(time.monotonic())

    def stats(self) -> dict[str, float]:
        """Nothing: the losses and the memory layer live in the learner actor, and asking it
        every second would queue behind the batches (the episodes are still logged)."""
        return {}

    def finish(self, interrupted: bool) -> Snapshot:
        """The run's end: check with the learner actor that every step and segment
        arrived (the pushes under way are all done by now), then fetch its state."""
        end = time.monotonic()
        try:
            ray.get(self.learner.finish.remote(self.segments_sent, self.steps_sent, interrupted))
        except ray.exceptions.RayActorError as error:
            raise self.learner_died(error) from None
        except ray.exceptions.RayTaskError as error:
            raise WorkerError(f"the learner actor raised on Ray:\n{error}") from None
        return self.state(end)

    def state(self, end: float) -> Snapshot:
        """The learner actor's model, optimizer and memory, as a snapshot ending at
        ``end`` (``time.monotonic``)."""
        try:
            state = ray.get(self.learner.state.remote())
        except ray.exceptions.RayActorError as error:
            raise self.learner_died(error) from None
        except ray.exceptions.RayTaskError as error:
            raise WorkerError(f"the learner actor raised on Ray:\n{error}") from None
        model = self.config.build_model(self.obs_shape, self.n_actions)
        model.load_state_dict(state["model_state"])
        stats = state["memory_stats"]
        return Snapshot(
            model=model,
            optimizer_state=state["optimizer_state"],
            global_step=self.global_step,
            wall_time=end - self.start_time,
            memory_stats=None if stats is None else {**stats, **self.loss},
            memory_state=state["memory_state"],
            policy_lag=state["policy_lag"],
        )
