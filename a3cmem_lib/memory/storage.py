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

import importlib
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

    def record(self, fields: Any) -> Any:
        """A record of this structure (NamedTuple, tuple or dict) holding ``fields``."""
        if self.container is dict:
            return dict(zip(self.names, fields, strict=True))
        if self.container is tuple:
            return tuple(fields)
        return self.container(*fields)

    def state(self) -> dict[str, Any]:
        """This layout in plain values (str, int, tuple): a checkpoint needs no class of ours."""
        if self.container in (tuple, dict):
            kind, type_name = self.container.__name__, None
        else:
            kind = "namedtuple"
            type_name = f"{self.container.__module__}:{self.container.__qualname__}"
        return {
            "container": kind,
            "type": type_name,
            "names": tuple(self.names),
            "shapes": tuple(tuple(int(n) for n in shape) for shape in self.shapes),
            "dtypes": tuple(dtype.str for dtype in self.dtypes),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _Layout:
        """The layout :meth:`state` describes; its NamedTuple class is imported by name."""
        kind = state["container"]
        names = tuple(state["names"])
        if kind == "tuple":
            container: type = tuple
        elif kind == "dict":
            container = dict
        else:
            container = _import_record_type(state["type"], names)
        shapes = tuple(tuple(shape) for shape in state["shapes"])
        return cls(container, names, shapes, tuple(np.dtype(d) for d in state["dtypes"]))


def _import_record_type(type_name: str, names: tuple[Any, ...]) -> type:
    """The NamedTuple class ``"module:qualname"`` with fields ``names``, or a clear error."""
    module_name, _, qualname = type_name.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"state_dict holds items of type {type_name}, which cannot be imported here; "
            "define or import that NamedTuple (at module level) before load_state_dict"
        ) from error
    if not (isinstance(found, type) and _is_namedtuple_type(found) and found._fields == names):
        raise ValueError(
            f"state_dict holds items of type {type_name} with fields {list(names)}, but "
            f"{type_name} is now {found!r}"
        )
    return found


def _is_namedtuple_type(kind: type) -> bool:
    return issubclass(kind, tuple) and hasattr(kind, "_fields")


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
    # numpy 2 raises OverflowError for an int out of an integer dtype's range; numpy 1.26
    # wraps it around (300 becomes 44 in int8) with only a DeprecationWarning.
    if isinstance(value, int) and dtype.kind in "iu":
        limits = np.iinfo(dtype)
        if not limits.min <= value <= limits.max:
            raise ValueError(f"{what} = {value} does not fit the stored dtype {dtype}")
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


class StoredItems:
    """One item, or a batch of items, in the form a buffer stores it: checked against the
    buffer's structure, and every field a numpy array of the stored dtype.

    Made by :meth:`FIFOBuffer.as_stored <a3cmem_lib.memory.FIFOBuffer.as_stored>`; that
    buffer's ``push`` (one item) or ``extend`` (a batch) accepts it in place of the item and
    does not check it again. A wrapper such as :class:`~a3cmem_lib.memory.DedupBuffer` uses
    it to look at an item (its key) and store it after one check. Treat it as read-only.

    Attributes:
        fields: one numpy array per field, in record order; shape ``field_shape`` for one
            item (a scalar field is a 0-d array), ``(count, *field_shape)`` for a batch.
        count: the number of items (1 for one item).
        batched: whether the fields have a leading batch axis.
        layout: the structure the fields were checked against (compared by the buffer).
    """

    __slots__ = ("layout", "fields", "count", "batched")

    def __init__(self, layout: _Layout, fields: list[np.ndarray], count: int, batched: bool):
        self.layout = layout
        self.fields = fields
        self.count = count
        self.batched = batched

    def __repr__(self) -> str:
        what = f"batch of {self.count}" if self.batched else "one item"
        return f"StoredItems({what}, {self.layout.describe()})"

    @property
    def record(self) -> Any:
        """The item(s) as their own structure (NamedTuple, tuple or dict) of numpy fields."""
        return self.layout.record(self.fields)

    def item(self, row: int) -> StoredItems:
        """Row ``row`` of a batch, as one item (its fields are views of the batch's)."""
        # [row, ...] keeps a scalar field a 0-d array, as for an item checked on its own
        return StoredItems(self.layout, [field[row, ...] for field in self.fields], 1, False)

    def take(self, rows: np.ndarray) -> StoredItems:
        """The rows ``rows`` (int array (m,)) of a batch, as a batch of m items."""
        fields = [field.take(rows, axis=0) for field in self.fields]
        return StoredItems(self.layout, fields, len(rows), True)


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
    def _layout_of(
        self, item: Any, batched: bool, argument: str
    ) -> tuple[_Layout, list[np.ndarray]]:
        """The structure of a first record, and its fields as arrays (their own dtypes)."""
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
        return layout, arrays

    def prepare(self, item: Any, *, batched: bool, argument: str = "item") -> StoredItems:
        """Check one record (or a batch of records) against the stored structure.

        Returns the record as :class:`StoredItems`: its fields converted to the column
        dtypes, and the number of records. Before the first write, the record itself fixes
        the structure. Raises ``TypeError`` for a different structure or dtype and
        ``ValueError`` for a different shape; nothing is written either way.
        """
        if self.layout is None:
            layout, arrays = self._layout_of(item, batched, argument)
        else:
            layout, arrays = self.layout, self._conform(item, batched, argument)
        count = 1
        if batched:
            lengths = {array.shape[0] for array in arrays}
            if len(lengths) != 1:
                raise ValueError(
                    f"{argument} fields must share one batch length (axis 0), got lengths "
                    f"{sorted(lengths)}"
                )
            count = lengths.pop()
        return StoredItems(layout, arrays, count, batched)

    def holds(self, layout: _Layout) -> bool:
        """Whether records checked against ``layout`` can be written here unchecked."""
        return self.layout is None or layout is self.layout or layout == self.layout

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
    def allocate(self, layout: _Layout) -> None:
        """Create the columns for records of ``layout`` (once, before the first write)."""
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
        return layout.record([column.take(indices, axis=0) for column in self.columns])

    @property
    def nbytes(self) -> int:
        """Bytes held by the preallocated columns."""
        return sum(column.nbytes for column in self.columns)

    def clear(self) -> None:
        """Forget the structure and free the columns."""
        self.layout = None
        self.columns = []

    def state_dict(self, filled: int | None = None) -> dict[str, Any]:
        """The structure in plain values (container kind, NamedTuple ``"module:qualname"``,
        field names, shapes, dtype strings) and a copy of the columns' first ``filled`` rows
        (``None``: all ``capacity``): a buffer that fills its slots in order saves only
        the slots it wrote."""
        layout = None if self.layout is None else self.layout.state()
        rows = self.capacity if filled is None else filled
        return {"layout": layout, "columns": [column[:rows].copy() for column in self.columns]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`: its rows go to the first slots; the columns get
        this storage's capacity (the rows after the saved ones are zeros)."""
        columns = state["columns"]
        for column in columns:
            if column.shape[0] > self.capacity:
                raise ValueError(
                    f"state_dict holds columns of {column.shape[0]} rows, "
                    f"this buffer has capacity {self.capacity}"
                )
        layout = state["layout"]
        if isinstance(layout, dict):
            layout = _Layout.from_state(layout)
        # else None, or a _Layout object: checkpoints written before layouts were plain values
        self.layout = layout
        self.columns = []
        for saved in columns:
            column = np.zeros((self.capacity, *saved.shape[1:]), dtype=saved.dtype)
            column[: saved.shape[0]] = saved
            self.columns.append(column)
