"""The worker processes of one run, a pipe from each, and their orderly shutdown.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

import torch.multiprocessing as mp

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.agent.shared_optim import SharedOptimizer
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.errors import WorkerError, WorkerStopped
from a3cmem_lib.training.messages import RolloutReport, WorkerDone, WorkerFailed
from a3cmem_lib.training.schedules import StepCounter
from a3cmem_lib.training.worker import WorkerContext, worker_main

_JOIN_TIMEOUT = 5.0
_POLL_SECONDS = 0.1


class WorkerPool:
    """``config.num_workers`` worker processes around a shared model and optimizer.

    Used as a context manager: entering starts the workers; leaving always stops, joins (or
    terminates) every worker, closes every pipe and drops all references to
    multiprocessing objects, on success, on a worker error and on KeyboardInterrupt alike.

    Args:
        config: the run's configuration (``num_workers``, ``start_method``, ...).
        shared_model: the global model, its parameters in shared memory.
        optimizer: the shared optimizer over its parameters.
        start_step: the global step to count from (a resumed checkpoint's).
        average_model: ACER's average policy network in shared memory, or ``None``.
    """

    def __init__(
        self,
        config: TrainConfig,
        shared_model: ActorCriticModel,
        optimizer: SharedOptimizer,
        start_step: int = 0,
        average_model: ActorCriticModel | None = None,
    ) -> None:
        self.context = mp.get_context(config.start_method)
        self.config = config
        self.shared_model = shared_model
        self.optimizer = optimizer
        self.average_model = average_model
        self.start_step = start_step
        self.stop_event = self.context.Event()
        self.steps = StepCounter(self.context.Value("q", start_step))
        self.versions = StepCounter(self.context.Value("q", 0))
        """Updates of the shared model in this run (the policy version)."""
        self.start_time = time.monotonic()
        self.end_time: float | None = None
        self.final_step: int | None = None
        self.final_updates: int | None = None
        # forkserver's workers are the server's children, not ours: their CPU time is not
        # counted by this process's resource usage
        counted = self.context.get_start_method() != "forkserver"
        self.cpu_start = process_and_children_cpu_seconds() if counted else math.nan
        self.cpu_seconds = math.nan
        """CPU seconds of this process and its workers from the start to the shutdown (NaN
        where they cannot be counted: the ``forkserver`` start method, no ``resource``
        module)."""
        self.processes: list[BaseProcess] = []
        self.readers: dict[Connection, int] = {}
        self.open_readers: list[Connection] = []

    @property
    def running(self) -> bool:
        """Whether some worker has not reported that it is done."""
        return bool(self.open_readers)

    @property
    def global_step(self) -> int:
        """Environment steps of all workers so far (at shutdown, once shut down)."""
        return self.final_step if self.final_step is not None else self.steps.value

    @property
    def updates(self) -> int:
        """Updates applied to the shared model so far: the workers' gradients and a memory
        layer's learner updates (at shutdown, once shut down)."""
        return self.final_updates if self.final_updates is not None else self.versions.value

    @property
    def wall_time(self) -> float:
        """Seconds since the workers started (until shutdown, once shut down)."""
        end = self.end_time if self.end_time is not None else time.monotonic()
        return end - self.start_time

    def __enter__(self) -> WorkerPool:
        self.start()
        return self

    def start(self) -> None:
        """Start every worker (on failure, shut down the ones started and re-raise); wall
        times count from here."""
        self.start_time = time.monotonic()
        try:
            for worker_id in range(self.config.num_workers):
                self.start_worker(worker_id)
        except BaseException:
            self.shutdown()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def start_worker(self, worker_id: int) -> None:
        """Start worker ``worker_id`` with its own pipe; only the child keeps the sending end."""
        reader, writer = self.context.Pipe(duplex=False)
        self.readers[reader] = worker_id
        self.open_readers.append(reader)
        start_method = self.context.get_start_method()
        context = WorkerContext(
            worker_id=worker_id,
            config=self.config,
            shared_model=self.shared_model,
            optimizer=self.optimizer,
            average_model=self.average_model,
            steps=self.steps,
            versions=self.versions,
            stop_event=self.stop_event,
            connection=writer,
            start_time=self.start_time,
            seed_offset=self.start_step,
            parent_pid=os.getpid(),
            started_by_fork_server=start_method == "forkserver",
            # A forked child inherits every descriptor: the reading ends of all pipes.
            inherited_fds=tuple(r.fileno() for r in self.readers) if start_method == "fork" else (),
        )
        process = self.context.Process(
            target=worker_main, args=(context,), name=f"a3c-worker-{worker_id}", daemon=True
        )
        self.processes.append(process)  # before start(): an interrupted start is cleaned up too
        try:
            process.start()
        finally:
            # Only the child keeps the sending end, so its death reads as end-of-file here;
            # closing it before the next start also keeps it out of later forked children.
            writer.close()

    def receive(self, timeout: float) -> Iterator[RolloutReport | WorkerDone | WorkerFailed]:
        """Yield each message (:mod:`a3cmem_lib.training.messages`) that arrives within
        ``timeout`` seconds. Raises :class:`WorkerError` if a worker died without
        reporting, :class:`WorkerStopped` if a stop signal ended it first."""
        for reader in wait(self.open_readers, timeout=timeout):
            worker_id = self.readers[reader]
            try:
                message = reader.recv()
            except EOFError:
                process = self.processes[worker_id]
                process.join(_JOIN_TIMEOUT)
                if process.exitcode in (-signal.SIGTERM, -signal.SIGINT):
                    self.finished(worker_id)
                    name = signal.Signals(-process.exitcode).name
                    raise WorkerStopped(
                        f"A3C worker {worker_id} was ended by {name} before it could report"
                    ) from None
                raise WorkerError(
                    f"A3C worker {worker_id} died with exit code {process.exitcode} without "
                    "reporting an error (under spawn/forkserver, a script that calls train() "
                    "must do so inside `if __name__ == '__main__':`)"
                ) from None
            yield message

    def finished(self, worker_id: int) -> None:
        """Worker ``worker_id`` reported that it is done: stop waiting for it."""
        self.open_readers = [r for r in self.open_readers if self.readers[r] != worker_id]

    def stop(self) -> None:
        """Ask every worker to finish its current rollout and stop."""
        self.stop_event.set()

    def shutdown(self) -> None:
        """Stop, join (terminate, kill) every worker; close every pipe; release everything."""
        if self.end_time is None:
            self.end_time = time.monotonic()
        if self.final_step is not None:
            return
        self.stop_event.set()
        deadline = time.monotonic() + _JOIN_TIMEOUT
        while time.monotonic() < deadline:
            self._drain()
            alive = [process for process in self.processes if process.is_alive()]
            if not alive:
                break
            alive[0].join(_POLL_SECONDS)
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(_JOIN_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        for reader in self.readers:
            reader.close()
        # Drop the last references so semaphores, pipes and shared tensors are released now,
        # even when a traceback keeps this object alive.
        self.final_step = self.steps.value
        self.final_updates = self.versions.value
        self.cpu_seconds = process_and_children_cpu_seconds() - self.cpu_start
        self.processes, self.readers, self.open_readers = [], {}, []
        del self.stop_event, self.steps, self.versions, self.shared_model, self.optimizer
        del self.average_model

    def _drain(self) -> None:
        # A worker blocked on a full pipe cannot see the stop event; read and discard.
        for reader in wait(list(self.readers), timeout=0):
            with contextlib.suppress(EOFError, OSError):
                reader.recv()


def process_and_children_cpu_seconds() -> float:
    """User plus system CPU seconds of this process and of its children that have exited and
    been joined (NaN without the ``resource`` module, i.e. on Windows)."""
    try:
        import resource
    except ImportError:
        return math.nan
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total
