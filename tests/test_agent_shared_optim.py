"""SharedAdam / SharedRMSprop: eager state in shared memory, visible across processes."""

import multiprocessing

import pytest
import torch

from a3cmem_lib.agent import ActorCritic, SharedAdam, SharedRMSprop


def _state_tensors(optimizer):
    return [value for state in optimizer.state.values() for value in state.values()]


def _step_once(model, optimizer):
    """One optimizer step on a fixed batch."""
    torch.manual_seed(1)
    logits, values = model(torch.randn(4, 3))
    (logits.sum() + values.sum()).backward()
    optimizer.step()


@pytest.mark.parametrize(
    ("optimizer_class", "kwargs", "keys"),
    [
        (SharedAdam, {}, {"step", "exp_avg", "exp_avg_sq"}),
        (SharedAdam, {"fused": True}, {"step", "exp_avg", "exp_avg_sq"}),
        (SharedAdam, {"amsgrad": True}, {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
        (SharedRMSprop, {}, {"step", "square_avg"}),
        (
            SharedRMSprop,
            {"momentum": 0.9, "centered": True},
            {"step", "square_avg", "momentum_buffer", "grad_avg"},
        ),
    ],
)
def test_state_is_created_eagerly_in_shared_memory(optimizer_class, kwargs, keys):
    model = ActorCritic(3, 2, hidden_sizes=(8,))
    optimizer = optimizer_class(model.parameters(), lr=1e-2, **kwargs)
    for parameter in model.parameters():
        assert set(optimizer.state[parameter]) == keys
    assert all(tensor.is_shared() for tensor in _state_tensors(optimizer))


@pytest.mark.parametrize(
    ("optimizer_class", "kwargs"),
    [(SharedAdam, {}), (SharedAdam, {"fused": True}), (SharedRMSprop, {"momentum": 0.5})],
)
def test_updates_match_the_torch_optimizer(optimizer_class, kwargs):
    torch_class = torch.optim.Adam if optimizer_class is SharedAdam else torch.optim.RMSprop
    models = [ActorCritic(3, 2, hidden_sizes=(8,)) for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    optimizers = [optimizer_class(models[0].parameters(), lr=1e-2, **kwargs)]
    optimizers.append(torch_class(models[1].parameters(), lr=1e-2, **kwargs))
    for _ in range(3):
        for model, optimizer in zip(models, optimizers, strict=True):
            optimizer.zero_grad()
            _step_once(model, optimizer)
    for shared, plain in zip(models[0].parameters(), models[1].parameters(), strict=True):
        torch.testing.assert_close(shared, plain)


def _child_step(model, optimizer):
    """Child process entry (module level for spawn). Like the A3C workers, pin one thread
    first: a fused step uses OpenMP, which hangs in a child forked after the parent used it."""
    torch.set_num_threads(1)
    _step_once(model, optimizer)


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
@pytest.mark.parametrize(
    ("optimizer_class", "kwargs"), [(SharedAdam, {"fused": True}), (SharedRMSprop, {})]
)
def test_a_step_in_a_child_process_is_seen_by_the_parent(start_method, optimizer_class, kwargs):
    model = ActorCritic(3, 2, hidden_sizes=(8,))
    model.share_memory()
    optimizer = optimizer_class(model.parameters(), lr=1e-2, **kwargs)
    before = [tensor.clone() for tensor in _state_tensors(optimizer)]
    weights_before = [p.detach().clone() for p in model.parameters()]

    child = multiprocessing.get_context(start_method).Process(
        target=_child_step, args=(model, optimizer)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0

    after = _state_tensors(optimizer)
    steps = [optimizer.state[p]["step"].item() for p in model.parameters()]
    assert steps == [1.0] * len(steps)
    assert all(not torch.equal(old, new) for old, new in zip(before, after, strict=True))
    assert all(
        not torch.equal(old, new)
        for old, new in zip(weights_before, model.parameters(), strict=True)
    )


def test_load_state_dict_keeps_the_state_shared():
    model = ActorCritic(3, 2, hidden_sizes=(8,))
    optimizer = SharedAdam(model.parameters(), lr=1e-2)
    _step_once(model, optimizer)
    saved = optimizer.state_dict()
    restored = SharedAdam(model.parameters(), lr=1e-2)
    restored.load_state_dict(saved)
    assert all(tensor.is_shared() for tensor in _state_tensors(restored))
    assert restored.state[next(model.parameters())]["step"].item() == 1.0
