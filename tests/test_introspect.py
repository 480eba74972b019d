"""Unit tests for asyncbook.introspect.predicate_table."""

from __future__ import annotations

import pytest

from asyncbook.introspect import predicate_table


def plain():
    return 1


async def coro_fn():
    return 1


def test_table_marks_each_predicate() -> None:
    table = predicate_table({"plain": plain, "coro_fn": coro_fn}, ["isfunction", "iscoroutinefunction"])
    assert table.splitlines() == [
        "                     plain  coro_fn",
        "isfunction           yes    yes",
        "iscoroutinefunction  -      yes",
    ]


def test_table_tests_objects_not_only_functions() -> None:
    coro = coro_fn()
    try:
        table = predicate_table({"coro": coro}, ["isawaitable"])
    finally:
        coro.close()
    assert table.splitlines()[1].split() == ["isawaitable", "yes"]


@pytest.mark.parametrize("objects", [{}, [("f", plain)], None])
def test_rejects_bad_objects(objects: object) -> None:
    with pytest.raises(TypeError, match="dict"):
        predicate_table(objects, ["isfunction"])  # type: ignore[arg-type]


@pytest.mark.parametrize("predicates", ["isfunction", [], None])
def test_rejects_bad_predicate_lists(predicates: object) -> None:
    with pytest.raises(TypeError, match="list of names"):
        predicate_table({"f": plain}, predicates)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["getsource", "is_nothing", "signature"])
def test_rejects_names_that_are_not_predicates(name: str) -> None:
    with pytest.raises(ValueError, match="not an inspect predicate"):
        predicate_table({"f": plain}, [name])


def test_rejects_non_str_labels() -> None:
    with pytest.raises(TypeError, match="column labels"):
        predicate_table({1: plain}, ["isfunction"])  # type: ignore[dict-item]
