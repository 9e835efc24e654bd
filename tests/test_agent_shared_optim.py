"""SharedAdam / SharedRMSprop: eager state in shared memory, visible across processes; equal
step for step to torch.optim.Adam / RMSprop; their state dicts load in either direction; and
neither imports torch._dynamo."""

import copy
import io
import multiprocessing
import subprocess
import sys

import pytest
import torch

from a3cmem_lib.agent import ActorCritic, SharedAdam, SharedRMSprop

TORCH_CLASS = {SharedAdam: torch.optim.Adam, SharedRMSprop: torch.optim.RMSprop}

CONFIGURATIONS = [
    (SharedAdam, {}),
    (SharedAdam, {"weight_decay": 1e-2}),
    (SharedAdam, {"amsgrad": True, "weight_decay": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6}),
    (SharedAdam, {"fused": True}),
    (SharedAdam, {"fused": True, "amsgrad": True, "weight_decay": 1e-2}),
    (SharedRMSprop, {}),
    (SharedRMSprop, {"momentum": 0.9, "weight_decay": 1e-2}),
    (SharedRMSprop, {"centered": True, "alpha": 0.9}),
    (SharedRMSprop, {"momentum": 0.5, "centered": True, "weight_decay": 1e-2, "eps": 1e-6}),
]


def _state_tensors(optimizer):
    return [value for state in optimizer.state.values() for value in state.values()]


def _step_once(model, optimizer):
    """One optimizer step on a fixed batch."""
    torch.manual_seed(1)
    logits, values = model(torch.randn(4, 3))
    (logits.sum() + values.sum()).backward()
    optimizer.step()


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))


def _twins(optimizer_class, kwargs, lr=1e-2):
    """Two copies of a small MLP, one under the shared optimizer, one under torch.optim's."""
    shared_model, torch_model = _mlp(), _mlp()
    return (
        shared_model,
        optimizer_class(shared_model.parameters(), lr=lr, **kwargs),
        torch_model,
        TORCH_CLASS[optimizer_class](torch_model.parameters(), lr=lr, **kwargs),
    )


def _random_steps(pairs, steps, seed):
    """``steps`` steps of each (model, optimizer) in ``pairs`` with the same random gradients,
    of magnitudes from 1e-4 to 10; the last parameter gets none on every third step, so the
    parameters' step counts (and Adam's bias corrections) differ."""
    generator = torch.Generator().manual_seed(seed)
    for step in range(steps):
        scale = 10.0 ** (torch.rand((), generator=generator).item() * 5 - 4)
        parameters = list(pairs[0][0].parameters())
        grads = [scale * torch.randn(p.shape, generator=generator) for p in parameters]
        if step % 3 == 2:
            grads[-1] = None
        for model, optimizer in pairs:
            for p, grad in zip(model.parameters(), grads, strict=True):
                p.grad = None if grad is None else grad.clone()
            optimizer.step()


def _assert_same(shared_model, shared_optimizer, torch_model, torch_optimizer):
    for p, q in zip(shared_model.parameters(), torch_model.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
        assert shared_optimizer.state[p].keys() == torch_optimizer.state[q].keys()
        for name, value in shared_optimizer.state[p].items():
            torch.testing.assert_close(value, torch_optimizer.state[q][name], rtol=0, atol=0)


@pytest.mark.parametrize(("optimizer_class", "kwargs"), CONFIGURATIONS)
def test_steps_are_bit_equal_to_torch_optim(optimizer_class, kwargs):
    shared_model, shared, torch_model, plain = _twins(optimizer_class, kwargs)
    pairs = [(shared_model, shared), (torch_model, plain)]
    _random_steps(pairs, 100, seed=0)
    for optimizer in (shared, plain):
        optimizer.param_groups[0]["lr"] = 3e-3  # as Schedule.set_learning_rate does
    _random_steps(pairs, 100, seed=1)
    _assert_same(shared_model, shared, torch_model, plain)
    assert any(
        not torch.equal(p, q)
        for p, q in zip(shared_model.parameters(), _mlp().parameters(), strict=True)
    )


@pytest.mark.parametrize(("optimizer_class", "kwargs"), CONFIGURATIONS)
def test_a_state_dict_round_trips_through_torch_save(optimizer_class, kwargs):
    model, optimizer, _, _ = _twins(optimizer_class, kwargs)
    _random_steps([(model, optimizer)], 5, seed=0)
    buffer = io.BytesIO()
    torch.save(optimizer.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)  # as load_checkpoint reads it

    twin = _mlp()
    twin.load_state_dict(model.state_dict())
    restored = optimizer_class(twin.parameters(), lr=0.5)
    restored.load_state_dict(saved)
    assert restored.param_groups[0]["lr"] == 1e-2, "the saved options replace the given ones"
    assert all(tensor.is_shared() for tensor in _state_tensors(restored))
    _random_steps([(model, optimizer), (twin, restored)], 5, seed=1)
    _assert_same(twin, restored, model, optimizer)


@pytest.mark.parametrize(("optimizer_class", "kwargs"), CONFIGURATIONS)
def test_state_dicts_load_in_both_directions_with_torch_optim(optimizer_class, kwargs):
    """Checkpoints written when these classes subclassed torch.optim hold torch.optim's state
    dict, so they still resume; and ours load into torch.optim."""
    shared_model, shared, torch_model, plain = _twins(optimizer_class, kwargs)
    _random_steps([(torch_model, plain)], 5, seed=0)
    shared_model.load_state_dict(torch_model.state_dict())
    shared.load_state_dict(plain.state_dict())
    _random_steps([(shared_model, shared), (torch_model, plain)], 5, seed=1)
    _assert_same(shared_model, shared, torch_model, plain)

    fresh_model = _mlp()
    fresh_model.load_state_dict(shared_model.state_dict())
    fresh = TORCH_CLASS[optimizer_class](fresh_model.parameters(), lr=0.5)
    # torch.optim keeps the loaded tensors themselves (state_dict() hands out live ones)
    fresh.load_state_dict(copy.deepcopy(shared.state_dict()))
    _random_steps([(shared_model, shared), (fresh_model, fresh)], 5, seed=2)
    _assert_same(shared_model, shared, fresh_model, fresh)


def test_a_torch_option_it_does_not_implement_is_refused_on_load():
    model = _mlp()
    saved = torch.optim.Adam(model.parameters(), maximize=True).state_dict()
    with pytest.raises(ValueError, match="maximize=True"):
        SharedAdam(model.parameters()).load_state_dict(saved)


def test_invalid_options_are_refused():
    model = _mlp()
    with pytest.raises(ValueError, match="betas"):
        SharedAdam(model.parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="must be >= 0"):
        SharedRMSprop(model.parameters(), lr=-1.0)
    with pytest.raises(ValueError, match=r"momentum must be >= 0, got -0.5"):
        SharedRMSprop(model.parameters(), momentum=-0.5)
    with pytest.raises(ValueError, match=r"eps must be >= 0, got nan"):
        SharedAdam(model.parameters(), eps=float("nan"))
    with pytest.raises(ValueError, match="appears twice"):
        SharedAdam([*model.parameters(), next(model.parameters())])


def test_zero_grad_keeps_or_drops_the_gradient_tensors():
    model = _mlp()
    optimizer = SharedAdam(model.parameters())
    _random_steps([(model, optimizer)], 1, seed=0)
    grads = [p.grad for p in model.parameters()]
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(model.parameters(), grads, strict=True))
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


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


NO_DYNAMO_SCRIPT = """
import sys
import torch
from a3cmem_lib.agent.shared_adam import SharedAdam
from a3cmem_lib.agent.shared_rmsprop import SharedRMSprop

model = torch.nn.Linear(4, 2)
optimizers = [
    SharedAdam(model.parameters(), lr=1e-3, fused=True),
    SharedAdam(model.parameters(), amsgrad=True, weight_decay=0.1),
    SharedRMSprop(model.parameters(), momentum=0.9, centered=True),
]
for optimizer in optimizers:
    model(torch.randn(3, 4)).sum().backward()
    optimizer.step()
    optimizer.zero_grad()
    optimizer.load_state_dict(optimizer.state_dict())
print(sorted(m for m in sys.modules if m == "torch._dynamo" or m.startswith("torch._dynamo.")))
"""


def test_no_torch_dynamo_is_imported():
    """A spawned worker pays for every import; torch.optim's optimizers import torch._dynamo
    (about a second), these must not."""
    result = subprocess.run(
        [sys.executable, "-c", NO_DYNAMO_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
