"""The server freezes what its imports created, once per batch of new modules."""

from __future__ import annotations

import gc
import sys
import types

from app.shared import gc_freeze


def test_freezes_after_new_imports_only():
    gc_freeze.freeze_imports()
    assert gc.get_freeze_count() > 0
    assert gc_freeze.freeze_imports() is False, "nothing new imported: no second collection"
    sys.modules["_optim_lab_test_module"] = types.ModuleType("_optim_lab_test_module")
    try:
        assert gc_freeze.freeze_imports() is True
    finally:
        del sys.modules["_optim_lab_test_module"]
        gc_freeze.freeze_imports()  # fewer modules than before is a change too: freezes once more


def test_collections_still_free_what_sessions_create():
    gc_freeze.freeze_imports()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle, created after the freeze
    del a, b
    assert gc.collect() >= 2
