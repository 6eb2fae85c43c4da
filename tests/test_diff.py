"""compare(): the fast path for identical documents must not hide changes that only a type tells apart."""

from __future__ import annotations

from reconciler.core.diff import FieldChange, compare


def test_identical_documents_have_no_changes():
    doc = {"a": [1, {"b": "x"}], "c": {"d": True}}
    assert compare(doc, {"a": [1, {"b": "x"}], "c": {"d": True}}) == []


def test_values_equal_in_python_but_of_another_type_still_differ():
    assert compare({"essential": 1}, {"essential": True}) == [FieldChange("essential", 1, True)]
    assert compare({"cpu": 1.0}, {"cpu": 1}) == [FieldChange("cpu", 1.0, 1)]
