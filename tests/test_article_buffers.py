"""The original article's buffers (``a3cmem_lib.teaching.article_buffers``): the classes'
old names still import, with a ``DeprecationWarning`` naming the new name, and are the very
same classes; the old module path does too."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

from a3cmem_lib.teaching import article_buffers
from a3cmem_lib.teaching.article_buffers import (
    ArticleFIFOBuffer,
    ArticlePrioritizedReplayBuffer,
    FixedArticleFIFOBuffer,
)

OLD_NAMES = {
    "SeedFIFOBuffer": ArticleFIFOBuffer,
    "FixedSeedFIFOBuffer": FixedArticleFIFOBuffer,
    "SeedPrioritizedReplayBuffer": ArticlePrioritizedReplayBuffer,
}


def test_old_class_names_import_with_a_warning_and_are_the_same_classes() -> None:
    with pytest.warns(DeprecationWarning) as caught:
        from a3cmem_lib.teaching.article_buffers import (
            FixedSeedFIFOBuffer,
            SeedFIFOBuffer,
            SeedPrioritizedReplayBuffer,
        )
    assert SeedFIFOBuffer is ArticleFIFOBuffer
    assert FixedSeedFIFOBuffer is FixedArticleFIFOBuffer
    assert SeedPrioritizedReplayBuffer is ArticlePrioritizedReplayBuffer
    assert len(caught) == 3
    assert all(warning.category is DeprecationWarning for warning in caught)


@pytest.mark.parametrize("old_name, new_class", OLD_NAMES.items())
def test_the_warning_names_the_new_name(old_name: str, new_class: type) -> None:
    match = rf"{old_name} was renamed {new_class.__name__}"
    with pytest.warns(DeprecationWarning, match=match):
        assert getattr(article_buffers, old_name) is new_class


def test_old_module_path_gives_the_same_classes() -> None:
    sys.modules.pop("a3cmem_lib.teaching.seed_buffers", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old_module = importlib.import_module("a3cmem_lib.teaching.seed_buffers")
        old_class = old_module.SeedPrioritizedReplayBuffer
    assert old_module is article_buffers
    assert old_class is ArticlePrioritizedReplayBuffer
    messages = [str(warning.message) for warning in caught]
    assert all(warning.category is DeprecationWarning for warning in caught), messages
    assert any("article_buffers" in message for message in messages), messages
    assert any("ArticlePrioritizedReplayBuffer" in message for message in messages), messages


def test_new_names_import_without_a_warning_and_unknown_names_still_fail() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for new_class in OLD_NAMES.values():
            assert getattr(article_buffers, new_class.__name__) is new_class
    with pytest.raises(AttributeError, match="NoSuchBuffer"):
        _ = article_buffers.NoSuchBuffer
