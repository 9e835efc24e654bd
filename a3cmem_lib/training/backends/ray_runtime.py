"""Ray, imported only when a Ray backend is asked for, started or joined once per process.

Explained in notebooks/08_scaling_out.ipynb (sections "Calling it twice, and what is left
running" and "Pointing it at a cluster").
"""

from __future__ import annotations

import os
import shutil
import socket
from types import ModuleType

from a3cmem_lib.training.errors import SetupError

INSTALL_HINT = 'the Ray backend needs Ray: pip install "a3cmem[ray]" (ray[default]==2.60.0)'
"""The one line a missing Ray is reported with."""

_OBJECT_STORE_BYTES = 512 * 1024**2
"""Object store of a Ray instance started here: weights, batches of segments and the final
replay buffer fit many times over (Ray's default, 30 % of the RAM, is far more)."""
_MIN_OBJECT_STORE_BYTES = 80 * 1024**2
"""Ray's smallest object store (75 MiB) with a margin."""
CONNECT_SECONDS = 5.0
"""How long a cluster's address may take to accept a connection before it counts as
unreachable (Ray itself retries for minutes)."""


def import_ray() -> ModuleType:
    """The ``ray`` module, or an ``ImportError`` whose message is :data:`INSTALL_HINT`."""
    try:
        import ray
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return ray


def ensure_ray(address: str | None = None, *, num_cpus: int = 1) -> ModuleType:
    """Ray, initialised: the instance this process already runs (a notebook's second run)
    is reused; else ``address`` is joined, or a local instance is started.

    A local instance gets ``max(os.cpu_count(), num_cpus)`` logical CPUs, so a run that
    reserves one CPU per actor starts on a laptop with fewer cores, oversubscribing them
    as the local backend does. Its object store goes to ``/dev/shm`` when that has room for
    :data:`_OBJECT_STORE_BYTES` (or at least Ray's minimum); with a smaller ``/dev/shm``
    (Docker's default is 64 MB) Ray itself falls back to a file-backed store in ``/tmp``,
    slower, and logs a warning saying so (``docker run --shm-size=1g`` avoids it).

    Args:
        address: a running cluster's address (``"auto"``, ``"HOST:6379"``) or ``None``.
        num_cpus: CPUs the caller will reserve (a local instance has at least this many).

    Raises:
        ImportError: Ray is not installed (:data:`INSTALL_HINT`).
        SetupError: no Ray cluster answers at ``address`` (:func:`check_reachable`, within
            :data:`CONNECT_SECONDS`; the message starts with ``ray_address:``).
    """
    ray = import_ray()
    if address is not None:
        check_reachable(address)
    if ray.is_initialized():
        return ray
    if address is not None:
        try:
            ray.init(address=address, logging_level="warning")
        except ConnectionError as error:
            message = f"ray_address: cannot join a Ray cluster at {address!r}: {error}"
            raise SetupError(message) from None
        return ray
    ray.init(
        address="local",  # a new instance, never another process's cluster on this machine
        num_cpus=max(os.cpu_count() or 1, num_cpus),
        object_store_memory=_object_store_bytes(),
        # None: started when installed ("ray[default]"); the state API needs it
        include_dashboard=None,
        logging_level="warning",
    )
    return ray


def check_reachable(address: str, timeout: float = CONNECT_SECONDS) -> None:
    """Raise :class:`SetupError` (starting ``ray_address:``) unless ``address``'s host
    accepts a TCP connection on its port within ``timeout`` seconds. ``"auto"`` and
    ``"local"`` (no host to try) pass; Ray itself reports a missing local cluster at once.

    Args:
        address: ``"HOST:PORT"``, ``"ray://HOST:PORT"`` (Ray Client), ``"auto"`` or
            ``"local"``.
        timeout: seconds to wait for the connection.
    """
    target = address.removeprefix("ray://")
    if target in ("auto", "local"):
        return
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise SetupError(
            f"ray_address: {address!r} is not a cluster address: expected HOST:PORT (what "
            "`ray start --head` prints, e.g. 192.168.0.2:6379) or 'auto'"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as error:
        reason = (
            f"no answer within {timeout:g} s"
            if isinstance(error, TimeoutError)
            else (error.strerror or str(error)).lower()
        )
        raise SetupError(
            f"ray_address: no Ray cluster answers at {address!r} ({reason}): check the "
            "address `ray start --head` printed"
        ) from None


def _object_store_bytes() -> int | None:
    """The object store size to ask for: :data:`_OBJECT_STORE_BYTES`, less if ``/dev/shm``
    has less room; ``None`` (Ray's default, which then falls back to ``/tmp``) when even
    Ray's minimum does not fit there."""
    try:
        free = shutil.disk_usage("/dev/shm").free
    except OSError:  # no /dev/shm (macOS): Ray chooses
        return None
    if free < 2 * _MIN_OBJECT_STORE_BYTES:
        return None
    return min(_OBJECT_STORE_BYTES, free // 2)
