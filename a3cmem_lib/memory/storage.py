"""Preallocated column storage for fixed-structure records.

Every replay buffer in :mod:`a3cmem_lib.memory` stores its items here. An *item* is a record
with a fixed structure: a ``NamedTuple`` (such as :class:`Transition`), a plain tuple, or a
dict, whose fields are array-likes. The first item fixes the structure, and each field
becomes one preallocated numpy column of shape ``(capacity, *field_shape)`` with the field's
dtype. Reading a set of slots returns the same structure with a leading batch axis.

Explained in ``notebooks/02_fifo_buffer.ipynb`` (why columns instead of a list of tuples:
the seed's ``np.random.choice(list_of_tuples)`` raises, and a list of Python objects costs
far more memory per transition than packed columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np


class Transition(NamedTuple):
    """One step of experience, as stored by the replay buffers.

    Shapes for a single item: ``state`` and ``next_state`` ``(*obs_shape)``, ``action``,
    ``reward`` and ``done`` scalars. A batch sampled from a buffer has the same fields with a
    leading batch axis, e.g. ``state: (batch, *obs_shape)``.

    To store more fields (for example the behaviour policy's ``log_prob``), define your own
    ``NamedTuple``; the buffers accept any fixed structure.
    """

    state: Any
    action: Any
    reward: Any
    next_state: Any
    done: Any


@dataclass(frozen=True)
class _Layout:
    """The structure of the items a storage holds: container kind, field names, field specs."""

    container: type  # the NamedTuple class, ``tuple`` or ``dict``
    names: tuple[Any, ...]  # field names (NamedTuple), positions (tuple) or keys (dict)
    shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[np.dtype, ...]

    def describe(self) -> str:
        fields = ", ".join(
            f"{name}: {dtype}{list(shape)}"
            for name, shape, dtype in zip(self.names, self.shapes, self.dtypes, strict=True)
        )
        return f"{self.container.__name__}({fields})"


def _is_namedtuple(item: Any) -> bool:
    return isinstance(item, tuple) and hasattr(type(item), "_fields")


def _split_fields(item: Any, argument: str) -> tuple[type, tuple[Any, ...], list[Any]]:
    """Return (container, field names, field values) of one record."""
    if _is_namedtuple(item):
        return type(item), tuple(type(item)._fields), list(item)
    if isinstance(item, tuple):
        return tuple, tuple(range(len(item))), list(item)
    if isinstance(item, dict):
        return dict, tuple(item.keys()), list(item.values())
    raise TypeError(
        f"{argument} must be a NamedTuple, a tuple or a dict of array-likes, "
        f"got {type(item).__name__}"
    )


def _weak_scalar_fits(value: Any, dtype: np.dtype) -> bool:
    """Python bool/int/float values carry no dtype of their own: they fit any column of a
    compatible kind (a Python float fits a float32 column, an int fits an int or float one)."""
    if isinstance(value, bool):
        return dtype.kind == "b"
    if isinstance(value, int):
        return dtype.kind in "iuf"
    if isinstance(value, float):
        return dtype.kind == "f"
    return False


def _weak_scalar_array(value: Any, dtype: np.dtype, what: str) -> np.ndarray:
    """A Python scalar as a 0-d array of ``dtype``, refusing values the dtype cannot hold."""
    try:
        return np.asarray(value, dtype=dtype)
    except OverflowError as error:
        raise ValueError(f"{what} = {value} does not fit the stored dtype {dtype}") from error


def _dtype_fits(source: np.dtype, target: np.dtype) -> bool:
    """A value may go into a column when no information is lost and its kind is the same
    (float32 into float64 is fine; float64 into float32 or float into int is not)."""
    return source == target or (
        source.kind == target.kind and np.can_cast(source, target, casting="safe")
    )


class ColumnStorage:
    """Preallocated numpy columns holding up to ``capacity`` records.

    The storage knows nothing of order or sampling: buffers decide which slots to write and
    read. Columns are allocated from the first record written.

    Args:
        capacity: number of slots, ``>= 1``.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.layout: _Layout | None = None
        self.columns: list[np.ndarray] = []

    # -- structure -------------------------------------------------------------------------
    def _layout_of(self, item: Any, batched: bool, argument: str) -> tuple[_Layout, list[Any]]:
        container, names, values = _split_fields(item, argument)
        if not values:
            raise ValueError(f"{argument} has no fields; a record needs at least one field")
        arrays = [np.asarray(value) for value in values]
        if batched:
            for name, array in zip(names, arrays, strict=True):
                if array.ndim == 0:
                    raise ValueError(
                        f"{argument} field {name!r} must have a leading batch axis, got a scalar"
                    )
            shapes = tuple(array.shape[1:] for array in arrays)
        else:
            shapes = tuple(array.shape for array in arrays)
        for name, array in zip(names, arrays, strict=True):
            if array.dtype.kind not in "biuf":
                raise TypeError(
                    f"{argument} field {name!r} must be numeric or boolean, got dtype {array.dtype}"
                )
        layout = _Layout(container, names, shapes, tuple(array.dtype for array in arrays))
        return layout, values

    def prepare(self, item: Any, *, batched: bool, argument: str = "item") -> tuple[list, int]:
        """Check one record (or a batch of records) against the stored structure.

        Returns the field values converted to the column dtypes and the number of records.
        Raises ``TypeError`` for a different structure or dtype and ``ValueError`` for a
        different shape, before anything is written.
        """
        if self.layout is None:
            _, values = self._layout_of(item, batched, argument)
            arrays = [np.asarray(value) for value in values]
        else:
            arrays = self._conform(item, batched, argument)
        count = 1
        if batched:
            lengths = {array.shape[0] for array in arrays}
            if len(lengths) != 1:
                raise ValueError(
                    f"{argument} fields must share one batch length (axis 0), got lengths "
                    f"{sorted(lengths)}"
                )
            count = lengths.pop()
        return arrays, count

    def _conform(self, item: Any, batched: bool, argument: str) -> list[np.ndarray]:
        """The fields of ``item`` as arrays of the stored dtypes, or an error saying why not."""
        stored = self.layout
        assert stored is not None
        container, names, values = _split_fields(item, argument)
        if container is not stored.container or names != stored.names:
            raise TypeError(
                f"{argument} is a {container.__name__} with fields {list(names)}, but this "
                f"buffer stores {stored.describe()}"
            )
        arrays = []
        for name, value, stored_shape, stored_dtype in zip(
            names, values, stored.shapes, stored.dtypes, strict=True
        ):
            array = np.asarray(value)
            if batched and array.ndim == 0:
                raise ValueError(
                    f"{argument} field {name!r} must have a leading batch axis, got a scalar"
                )
            shape = array.shape[1:] if batched else array.shape
            if shape != stored_shape:
                what = "per-item shape" if batched else "shape"
                raise ValueError(
                    f"{argument} field {name!r} has {what} {shape}, but this buffer stores "
                    f"{stored_shape}"
                )
            if array.dtype != stored_dtype:
                if _weak_scalar_fits(value, stored_dtype):
                    array = _weak_scalar_array(value, stored_dtype, f"{argument} field {name!r}")
                elif _dtype_fits(array.dtype, stored_dtype):
                    array = array.astype(stored_dtype)
                else:
                    raise TypeError(
                        f"{argument} field {name!r} has dtype {array.dtype}, which does not fit "
                        f"the stored dtype {stored_dtype} without loss"
                    )
            arrays.append(array)
        return arrays

    # -- reading and writing ---------------------------------------------------------------
    def allocate(self, item: Any, *, batched: bool) -> None:
        """Create the columns from the structure of ``item`` (once, before the first write)."""
        layout, _ = self._layout_of(item, batched, "item")
        self.layout = layout
        self.columns = [
            np.zeros((self.capacity, *shape), dtype=dtype)
            for shape, dtype in zip(layout.shapes, layout.dtypes, strict=True)
        ]

    def write(self, slots: np.ndarray | int, arrays: list[np.ndarray]) -> None:
        """Write prepared field arrays into ``slots`` (an int, or an int array of shape (n,))."""
        for column, array in zip(self.columns, arrays, strict=True):
            column[slots] = array

    def read(self, indices: np.ndarray) -> Any:
        """Gather the records at ``indices`` (int array, shape (batch,)) into one structure."""
        layout = self.layout
        assert layout is not None
        # take(axis=0) gathers whole rows; plain fancy indexing of (n, 4) rows is ~3x slower
        fields = [column.take(indices, axis=0) for column in self.columns]
        if layout.container is dict:
            return dict(zip(layout.names, fields, strict=True))
        if layout.container is tuple:
            return tuple(fields)
        return layout.container(*fields)

    @property
    def nbytes(self) -> int:
        """Bytes held by the preallocated columns."""
        return sum(column.nbytes for column in self.columns)

    def clear(self) -> None:
        """Forget the structure and free the columns."""
        self.layout = None
        self.columns = []

    def state_dict(self) -> dict[str, Any]:
        return {"layout": self.layout, "columns": [column.copy() for column in self.columns]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        columns = state["columns"]
        for column in columns:
            if column.shape[0] != self.capacity:
                raise ValueError(
                    f"state_dict holds columns of capacity {column.shape[0]}, "
                    f"this buffer has capacity {self.capacity}"
                )
        self.layout = state["layout"]
        self.columns = [np.array(column, copy=True) for column in columns]
