"""Assertions shared by the tests of the exercises' checkers."""

from __future__ import annotations

from asyncbook.selfcheck import evaluate


def failed_with(exercise_id: str, answer: object, *fragments: str) -> str:
    """Assert that *answer* fails exercise *exercise_id* with every fragment in the feedback.

    Returns the feedback, so a test can check more of it.
    """
    result = evaluate(exercise_id, answer)
    assert not result.passed, result.message
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result.message
