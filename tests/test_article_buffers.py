"""The original article's buffers (``a3cmem_lib.teaching.article_buffers``): the names of
before 0.2.0 are gone (CHANGELOG.md), and so is the old module path."""

from __future__ import annotations

import importlib

import pytest

from a3cmem_lib.teaching import article_buffers


@pytest.mark.parametrize(
    "old_name", ["SeedFIFOBuffer", "FixedSeedFIFOBuffer", "SeedPrioritizedReplayBuffer"]
)
def test_old_class_names_are_gone(old_name: str) -> None:
    with pytest.raises(AttributeError, match=old_name):
        getattr(article_buffers, old_name)


@pytest.mark.parametrize(
    "old_module",
    [
        "a3cmem_lib.teaching.seed_buffers",
        "a3cmem_lib.training.study",
        "a3cmem_lib.training.cli",
        "a3cmem_lib.training.envs",
        "a3cmem_lib.distributed.ray_train",
    ],
)
def test_old_module_paths_are_gone(old_module: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old_module)
