"""ReplayMemory: one interface for every buffer; DedupBuffer through public methods only, one
check per item; keys independent of the caller's dtypes; checkpoints of plain values that
restore a memory bit-exactly."""

from __future__ import annotations

import ast
import inspect
import pickle
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import a3cmem_lib.memory as memory_package
from a3cmem_lib.memory import (
    REPLAY_MEMORIES,
    DedupBuffer,
    FIFOBuffer,
    PrioritizedReplayBuffer,
    ReplayMemory,
    StoredItems,
    SumTree,
    Transition,
)
from a3cmem_lib.memory.storage import ColumnStorage

KINDS = ["fifo", "prioritized", "dedup-fifo", "dedup-prioritized"]


def make(kind: str, capacity: int = 8, seed: int = 0) -> ReplayMemory:
    if kind == "fifo":
        return FIFOBuffer(capacity, seed=seed)
    if kind == "prioritized":
        return PrioritizedReplayBuffer(capacity, seed=seed)
    inner = FIFOBuffer if kind == "dedup-fifo" else PrioritizedReplayBuffer
    return DedupBuffer(inner(capacity, seed=seed))


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    return request.param


# -- one interface ---------------------------------------------------------------------------
def test_every_buffer_is_a_replay_memory(kind):
    assert isinstance(make(kind), ReplayMemory)


@pytest.mark.parametrize("other", [SumTree(4), [], np.zeros(3), None])
def test_other_objects_are_not_replay_memories(other):
    assert not isinstance(other, ReplayMemory)


def test_prioritized_says_whether_priorities_shape_sampling(kind):
    assert make(kind).prioritized is kind.endswith("prioritized")


def test_duplicates_are_counted_by_every_memory_through_the_protocol(kind, item):
    memory = make(kind)
    memory.push(item(0))
    memory.push(item(0))
    assert memory.duplicates == (1 if kind.startswith("dedup") else 0)


@pytest.mark.parametrize("name", list(REPLAY_MEMORIES))
def test_each_named_kind_builds_what_it_says(name):
    kind = REPLAY_MEMORIES[name]
    memory = kind.build(16, alpha=0.5, beta=0.3, key=lambda item: item, seed=0)
    assert isinstance(memory, ReplayMemory) and len(memory) == 0 and memory.capacity == 16
    assert memory.prioritized is kind.prioritized is ("per" in name)
    assert isinstance(memory, DedupBuffer) is kind.deduplicates is name.endswith("+dedup")
    if kind.deduplicates:
        with pytest.raises(ValueError, match=re.escape(f"memory {name!r} deduplicates")):
            kind.build(16)


def test_the_same_calls_work_on_every_memory(kind, item, batch, same_state):
    memory = make(kind, capacity=8)
    assert memory.capacity == 8 and len(memory) == 0
    assert memory.push(item(0)) == 0
    assert memory.push(item(1), 2.0) == 1
    assert memory.push(item(2), priority=0) == 2
    np.testing.assert_array_equal(memory.extend(batch([3, 4]), [1.0, 0.5]), [3, 4])
    assert len(memory) == 5
    for beta in (None, 0.0, 0.5, 1.0):
        sampled, indices, weights = memory.sample(4, beta)
        assert type(sampled) is Transition and sampled.state.shape == (4, 3)
        assert indices.dtype == np.int64 and indices.shape == (4,)
        assert weights.dtype == np.float32 and weights.shape == (4,)
        assert np.all((weights > 0) & (weights <= 1))
        if not memory.prioritized:
            np.testing.assert_array_equal(weights, np.ones(4, np.float32))
        np.testing.assert_array_equal(sampled.state[:, 0], np.arange(5)[indices])
    memory.update_priorities(indices, np.abs(np.arange(4) - 1.5))
    copy = make(kind, capacity=8, seed=123)
    copy.load_state_dict(memory.state_dict())
    same_state(copy.state_dict(), memory.state_dict())
    assert len(copy) == 5


# -- a uniform buffer checks priorities and ignores them -------------------------------------
def test_fifo_ignores_priorities(item, batch, same_state):
    plain, given = FIFOBuffer(6, seed=3), FIFOBuffer(6, seed=3)
    for i in range(4):
        plain.push(item(i))
        given.push(item(i), float(10 * i))
    plain.extend(batch([7, 8]))
    given.extend(batch([7, 8]), [100.0, 0.0])
    given.update_priorities([0, 5], [50.0, 0.0])
    same_state(given.state_dict(), plain.state_dict())
    for beta in (None, 0.3, 1.0):
        (a, ia, wa), (b, ib, wb) = plain.sample(5), given.sample(5, beta)
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(a.state, b.state)


BAD_PRIORITY = [
    (-1.0, ValueError),
    (np.nan, ValueError),
    (np.inf, ValueError),
    ("high", TypeError),
]


@pytest.mark.parametrize("bad, error", BAD_PRIORITY)
def test_fifo_rejects_bad_priorities(item, batch, same_state, bad, error):
    buffer = FIFOBuffer(6, seed=0)
    buffer.extend(batch([0, 1, 2]))
    before = buffer.state_dict()
    with pytest.raises(error, match="priority"):
        buffer.push(item(5), bad)
    with pytest.raises(error, match="priorities"):
        buffer.extend(batch([5, 6]), [1.0, bad])
    with pytest.raises(error, match="priorities"):
        buffer.update_priorities([0, 1], [bad, 1.0])
    with pytest.raises(TypeError, match="priority"):
        buffer.push(item(5), True)
    same_state(buffer.state_dict(), before)


def test_fifo_checks_shapes_indices_and_beta(batch, same_state):
    buffer = FIFOBuffer(6, seed=0)
    buffer.extend(batch([0, 1, 2]))
    before = buffer.state_dict()
    with pytest.raises(ValueError, match="priorities"):
        buffer.extend(batch([5, 6]), [1.0])
    with pytest.raises(ValueError, match="priorities"):
        buffer.update_priorities([0, 1], [1.0])
    with pytest.raises(ValueError, match="indices"):
        buffer.update_priorities([3], [1.0])  # slot 3 holds no item yet
    with pytest.raises(TypeError, match="indices"):
        buffer.update_priorities([0.5], [1.0])
    for beta in (-0.1, 1.5, np.nan):
        with pytest.raises(ValueError, match="beta"):
            buffer.sample(2, beta)
    with pytest.raises(TypeError, match="beta"):
        buffer.sample(2, "high")
    same_state(buffer.state_dict(), before)


# -- DedupBuffer: public methods of the inner buffer only ------------------------------------
MEMORY_DIR = Path(memory_package.__file__).parent
# NamedTuple's own API is spelled with an underscore but is public
NAMEDTUPLE_API = {"_fields", "_make", "_replace", "_asdict", "_field_defaults"}


def private_uses(path: Path) -> list[str]:
    """Every ``x._name`` with ``x`` other than ``self`` / ``cls``, and every import of an
    ``_name`` from another module, in the source at ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            name = node.attr
            private = name.startswith("_") and not name.startswith("__")
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if private and not on_self and name not in NAMEDTUPLE_API:
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name.startswith("_"):
                    module = "." * node.level + (node.module or "")
                    found.append(f"{path.name}:{node.lineno} from {module} import {alias.name}")
    return found


@pytest.mark.parametrize("path", sorted(MEMORY_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_memory_module_uses_private_names_of_another_object(path):
    assert private_uses(path) == []


def test_the_source_check_finds_a_private_call(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(
        "from .fifo import _helper\n"
        "class A:\n"
        "    def f(self):\n"
        "        self.buffer._reserve(1)\n"
        "        return self._own, type(self)._fields\n"
    )
    assert sorted(private_uses(source)) == [
        "bad.py:1 from .fifo import _helper",
        "bad.py:4 self.buffer._reserve",
    ]


def watched(cls: type) -> type:
    """A subclass of ``cls`` whose private attributes raise when read from another module
    than the ones defining the buffer classes (what a reach through the buffer looks like)."""
    own_modules = {klass.__module__ for klass in cls.__mro__}

    class Watched(cls):
        def __getattribute__(self, name: str):
            if name.startswith("_") and not name.startswith("__"):
                caller = inspect.currentframe().f_back.f_globals.get("__name__")
                if caller not in own_modules:
                    raise AssertionError(f"{caller} read {cls.__name__}.{name}")
            return super().__getattribute__(name)

    return Watched


@pytest.mark.parametrize("inner", [FIFOBuffer, PrioritizedReplayBuffer])
def test_dedup_reads_no_private_attribute_of_the_inner_buffer(inner, item, batch):
    buffer = DedupBuffer(watched(inner)(4, seed=0))
    with pytest.raises(AssertionError, match="read"):  # the watch works
        buffer.buffer._next  # noqa: B018
    assert buffer.push(item(0), 1.0) == 0
    assert buffer.push(item(0), 3.0) is None
    buffer.push(item(1))
    np.testing.assert_array_equal(buffer.extend(batch([2, 1, 3, 4]), [1, 2, 3, 4]), [2, -1, 3, 0])
    _, indices, _ = buffer.sample(3, 0.5)
    buffer.update_priorities(indices, [1.0, 2.0, 3.0])
    assert buffer.key_of(item(2)) in buffer.state_dict()["key_at"]
    restored = DedupBuffer(watched(inner)(4))
    restored.load_state_dict(buffer.state_dict())
    assert restored.push(item(3)) is None
    restored.clear()
    assert len(restored) == 0 and restored.prioritized is buffer.prioritized


# -- one check per item ----------------------------------------------------------------------
@pytest.fixture
def checks(monkeypatch):
    """Counts the calls of the one function that checks items against a buffer's layout."""
    calls = []
    prepare = ColumnStorage.prepare

    def counting(self, item, **kwargs):
        calls.append(kwargs.get("batched"))
        return prepare(self, item, **kwargs)

    monkeypatch.setattr(ColumnStorage, "prepare", counting)
    return calls


@pytest.mark.parametrize("inner", [FIFOBuffer, PrioritizedReplayBuffer])
def test_dedup_checks_each_item_once(inner, item, batch, checks):
    buffer = DedupBuffer(inner(6))
    for n, i in enumerate([0, 1, 0, 2, 1, 3, 4, 5, 6, 0]):  # new, duplicate and evicting
        buffer.push(item(i), 1.0 if buffer.prioritized else None)
        assert len(checks) == n + 1
    assert buffer.duplicates == 2  # 0 and 1 again; 6 evicts 0, so the last 0 is new
    checks.clear()
    # ring [6, 0, 2, 3, 4, 5]: 7 is new, then an in-batch duplicate; 8 evicts 3, so 3 is new
    np.testing.assert_array_equal(buffer.extend(batch([7, 7, 8, 3])), [2, -1, 3, 4])
    np.testing.assert_array_equal(buffer.extend(batch([3, 4])), [-1, 5])
    assert checks == [True, True]


def test_buffers_check_each_item_once(kind, item, batch, checks):
    memory = make(kind)
    memory.push(item(0))
    memory.extend(batch([1, 2]))
    assert checks == [False, True]


def test_as_stored_checks_once_and_push_trusts_it(item, batch, checks):
    buffer = PrioritizedReplayBuffer(4)
    stored = buffer.as_stored(item(0))
    assert isinstance(stored, StoredItems) and stored.count == 1 and not stored.batched
    assert [field.shape for field in stored.fields] == [(3,), (), (), (3,), ()]
    assert type(stored.record) is Transition and stored.record.reward.dtype == np.float64
    assert buffer.as_stored(stored) is stored
    assert buffer.push(stored, 2.0) == 0
    assert checks == [False]
    # a row of a checked batch is a checked item
    rows = buffer.as_stored(batch([1, 2, 3]), batched=True)
    assert buffer.push(rows.item(1)) == 1
    np.testing.assert_array_equal(buffer.extend(rows.take(np.array([0, 2]))), [2, 3])
    assert checks == [False, True]
    np.testing.assert_array_equal(buffer.get(np.arange(4)).state[:, 0], [0, 2, 1, 3])
    assert type(rows.record) is Transition and rows.record.state.shape == (3, 3)


def test_stored_items_of_another_structure_are_checked_again(item):
    floats = FIFOBuffer(4)
    floats.push((np.zeros(2, np.float32),))
    ints = FIFOBuffer(4)
    ints.push((np.zeros(2, np.int64),))
    stored = ints.as_stored((np.ones(2, np.int64),))
    with pytest.raises(TypeError, match="item field 0"):
        floats.push(stored)  # made for int64 columns: checked against float32 ones
    with pytest.raises(ValueError, match="items field 0"):
        ints.extend(stored)  # one item, not a batch: checked as a batch
    assert len(floats) == len(ints) == 1
    assert ints.push(stored) == 1


def test_as_stored_refuses_bad_items_and_changes_nothing(item, same_state):
    buffer = DedupBuffer(PrioritizedReplayBuffer(4))
    buffer.push(item(0))
    before = buffer.state_dict()
    with pytest.raises(TypeError, match="state"):
        buffer.buffer.as_stored(item(1)._replace(state=np.zeros(3)))
    with pytest.raises(TypeError, match="state"):
        buffer.key_of(item(1)._replace(state=np.zeros(3)))
    same_state(buffer.state_dict(), before)


# -- keys do not depend on how the caller spelled the values ---------------------------------
def test_keys_are_computed_from_the_stored_dtypes():
    buffer = DedupBuffer(FIFOBuffer(8))
    assert buffer.push(([1.0, 2.5], [3, 4], 0.5, True)) == 0  # lists and Python scalars
    same = (
        np.array([1.0, 2.5], np.float32),  # fits the float64 column without loss
        np.array([3, 4], np.int32),
        np.float32(0.5),
        np.bool_(True),
    )
    assert buffer.push(same) is None
    assert buffer.push((np.array([1.0, 2.5]), np.array([3, 4]), np.float64(0.5), True)) is None
    assert buffer.push(([1.0, 2.5], [3, 4], 0.25, True)) == 1
    assert buffer.duplicates == 2
    stored = buffer.buffer.get([0])
    assert [field.dtype for field in stored] == [np.float64, np.int64, np.float64, np.bool_]


def test_keys_of_python_scalars_and_numpy_scalars_agree(item, batch):
    buffer = DedupBuffer(PrioritizedReplayBuffer(8))
    first = item(1)._replace(reward=np.float32(0.5), action=np.int64(1))  # float32 column
    assert buffer.push(first) == 0
    assert buffer.push(first._replace(reward=0.5, action=1)) is None
    assert buffer.push(first._replace(reward=0.5, action=np.int32(1))) is None
    assert buffer.key_of(first) == buffer.key_of(first._replace(reward=0.5))
    rows = Transition(
        np.repeat(first.state[None], 2, axis=0),
        np.array([1, 2], np.int32),
        np.array([0.5, 0.5], np.float32),
        np.repeat(first.next_state[None], 2, axis=0),
        np.array([first.done, first.done]),
    )
    np.testing.assert_array_equal(buffer.extend(rows), [-1, 1])  # row 0 is item 1 again


def test_custom_keys_see_numpy_fields_in_push_and_extend(batch, item):
    seen = []

    def key(record):
        seen.append(type(record.action))
        return (record.state.tobytes(), record.action.item())

    buffer = DedupBuffer(FIFOBuffer(8), key=key)
    buffer.push(item(1))
    buffer.extend(batch([1, 2]))
    assert seen == [np.ndarray] * 3


# -- checkpoints -----------------------------------------------------------------------------
PLAIN_SCALARS = (int, float, bool, str, bytes, type(None))


def assert_plain(value, path: str = "state") -> None:
    """Only numpy arrays (not of objects), Python scalars, lists, tuples and dicts."""
    if isinstance(value, np.ndarray):
        assert value.dtype != object, path
    elif type(value) in (list, tuple):
        for n, element in enumerate(value):
            assert_plain(element, f"{path}[{n}]")
    elif type(value) is dict:
        for key, element in value.items():
            assert type(key) in PLAIN_SCALARS, f"{path}: key {key!r}"
            assert_plain(element, f"{path}[{key!r}]")
    else:
        assert type(value) in PLAIN_SCALARS, f"{path} is a {type(value).__name__}: {value!r}"


def test_assert_plain_finds_what_is_not_plain():
    for bad in [np.float64(1.0), {"a": [np.int64(3)]}, {"layout": np.dtype("f4")}, {1.5j}]:
        with pytest.raises(AssertionError):
            assert_plain(bad)
    with pytest.raises(AssertionError):
        assert_plain(np.array([None]))


def filled(kind: str, item, batch, seed: int = 7):
    """A memory that wrapped around, saw duplicates, odd-sized updates and samples."""
    memory = make(kind, capacity=37, seed=seed)
    rng = np.random.default_rng(seed)
    for i in rng.integers(0, 60, 50):
        memory.push(item(int(i)), float(rng.gamma(1.0)))
    memory.extend(batch(rng.integers(0, 60, 13)), rng.gamma(1.0, size=13))
    for size in (3, 7, 31):  # sizes at which BLAS rounds sums of children differently
        _, indices, _ = memory.sample(size)
        memory.update_priorities(indices, rng.gamma(1.0, size=size))
    return memory


class Record(NamedTuple):
    obs: np.ndarray
    flag: bool


def test_state_dicts_hold_plain_values_only(kind, item, batch):
    assert_plain(filled(kind, item, batch).state_dict())
    assert_plain(make(kind).state_dict())  # empty: no layout yet


def test_state_dicts_of_other_records_and_keys_hold_plain_values_only(item):
    dicts = FIFOBuffer(3)
    dicts.push({"obs": np.zeros(2), "r": 1.0})
    records = PrioritizedReplayBuffer(3)
    records.push(Record(np.zeros(3, np.float32), True))
    custom = DedupBuffer(FIFOBuffer(4), key=lambda t: (t.state.tobytes(), int(t.action)))
    custom.push(item(1))
    rounded = DedupBuffer(PrioritizedReplayBuffer(4), decimals=2)
    rounded.push(item(1))
    for memory in (dicts, records, custom, rounded):
        assert_plain(memory.state_dict())


@pytest.mark.parametrize("through_pickle", [False, True])
def test_round_trip_continues_exactly(kind, item, batch, same_state, through_pickle):
    original = filled(kind, item, batch)
    state = original.state_dict()
    if through_pickle:
        state = pickle.loads(pickle.dumps(state))
    restored = make(kind, capacity=37, seed=999)
    restored.load_state_dict(state)
    same_state(restored.state_dict(), original.state_dict())
    rng = np.random.default_rng(1)
    for step in range(40):  # sample, learn, push: the two must never drift apart
        (a, ia, wa), (b, ib, wb) = original.sample(9, 0.7), restored.sample(9, 0.7)
        np.testing.assert_array_equal(ia, ib)
        assert wa.tobytes() == wb.tobytes()
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
        new = rng.gamma(1.0, size=9)
        original.update_priorities(ia, new)
        restored.update_priorities(ib, new)
        i, p = int(rng.integers(0, 80)), float(rng.gamma(1.0))
        assert original.push(item(i), p) == restored.push(item(i), p)
        if step % 10 == 0:
            ids = rng.integers(0, 80, 5)
            np.testing.assert_array_equal(original.extend(batch(ids)), restored.extend(batch(ids)))
    same_state(restored.state_dict(), original.state_dict())


@pytest.mark.parametrize("kind", ["prioritized", "dedup-prioritized"])
def test_round_trip_restores_priorities_tree_and_maximum(kind, item, batch):
    original = filled(kind, item, batch)
    restored = make(kind, capacity=37)
    restored.load_state_dict(original.state_dict())
    per, per_restored = [
        m.buffer if isinstance(m, DedupBuffer) else m for m in (original, restored)
    ]
    assert per_restored.max_priority == per.max_priority
    np.testing.assert_array_equal(
        per_restored.priorities(np.arange(37)), per.priorities(np.arange(37))
    )
    assert per_restored.tree.total == per.tree.total and per_restored.tree.min == per.tree.min
    np.testing.assert_array_equal(per_restored.probabilities(), per.probabilities())


def test_sumtree_round_trip_keeps_the_internal_sums():
    # sums of 16 children computed in updates of 3 or 7 nodes may round differently from
    # one recomputation over all nodes; a restored tree must hold the saved sums
    tree = SumTree(5000)
    rng = np.random.default_rng(0)
    tree.update(np.arange(5000), rng.random(5000) * 10.0 ** rng.integers(-3, 4, 5000))
    for size in [3, 7, 31] * 100:
        tree.update(rng.integers(0, 5000, size), rng.random(size) * 10.0 ** rng.integers(-3, 4))
    state = tree.state_dict()
    restored = SumTree(5000)
    restored.load_state_dict(pickle.loads(pickle.dumps(state)))
    saved, again = state["sums"], restored.state_dict()["sums"]
    assert len(saved) == len(again) == tree.depth
    for a, b in zip(saved, again, strict=True):
        assert a.tobytes() == b.tobytes()
    assert restored.total == tree.total
    targets = rng.uniform(0, tree.total, 4000)
    np.testing.assert_array_equal(restored.find(targets), tree.find(targets))


@pytest.mark.parametrize("kind", ["dedup-fifo", "dedup-prioritized"])
def test_dedup_round_trip_keeps_keys_and_counters(kind, item, batch):
    original = filled(kind, item, batch)
    restored = make(kind, capacity=37)
    restored.load_state_dict(original.state_dict())
    assert (restored.duplicates, restored.duplicate_rate) == (
        original.duplicates,
        original.duplicate_rate,
    )
    assert original.duplicates > 0
    held = {int(v) for v in original.buffer.get(np.arange(len(original))).state[:, 0]}
    keys = set(restored.state_dict()["key_at"])
    assert {i for i in range(60) if restored.key_of(item(i)) in keys} == held
    outcomes = [(original.push(item(i)), restored.push(item(i))) for i in range(60)]
    assert all(a == b for a, b in outcomes)
    assert {a is None for a, _ in outcomes} == {True, False}


def test_load_state_dict_rejects_a_dedup_checkpoint_of_another_capacity(item):
    small = DedupBuffer(FIFOBuffer(4))
    small.push(item(0))
    with pytest.raises(ValueError, match="capacity"):
        DedupBuffer(FIFOBuffer(5)).load_state_dict(small.state_dict())


def test_checkpoints_with_a_layout_object_still_load(item, batch, same_state):
    """Checkpoints written before layouts were plain values held the layout object."""
    original = filled("dedup-prioritized", item, batch)
    state = original.state_dict()
    old = PrioritizedReplayBuffer(37)
    old.extend(batch([0]))
    layout_object = old.as_stored(item(0)).layout
    state["buffer"]["storage"]["layout"] = layout_object
    del state["buffer"]["tree"]["sums"]  # nor did they save the tree's internal sums
    restored = make("dedup-prioritized", capacity=37)
    restored.load_state_dict(state)
    same_state(restored.buffer.get(np.arange(37)), original.buffer.get(np.arange(37)))
    assert restored.push(item(100)) == original.push(item(100))


def test_a_record_type_that_cannot_be_imported_is_named():
    class Local(NamedTuple):
        x: np.ndarray

    buffer = FIFOBuffer(3)
    buffer.push(Local(np.zeros(2)))
    with pytest.raises(ValueError, match="Local"):
        FIFOBuffer(3).load_state_dict(buffer.state_dict())


def test_layout_round_trips_for_tuples_dicts_and_module_level_namedtuples(same_state):
    for first in [
        (np.zeros(2, np.float16), 1),
        {"obs": np.zeros((2, 2)), "r": 1.0},
        Record(np.zeros(3, np.float32), False),
    ]:
        buffer = FIFOBuffer(3, seed=1)
        buffer.push(first)
        restored = FIFOBuffer(3)
        restored.load_state_dict(pickle.loads(pickle.dumps(buffer.state_dict())))
        same_state(restored.state_dict(), buffer.state_dict())
        assert restored.push(first) == buffer.push(first) == 1
        assert type(restored.sample(2)[0]) is type(buffer.sample(2)[0])
