"""The chapter NN checkers accept right answers and explain wrong ones.

TEMPLATE: for each checker, one right answer that passes and, for each Wrong it can raise, one
wrong answer that gets it (failed_with asserts the failure and the fragments of its message).
Then delete this paragraph.
"""

from __future__ import annotations

import asyncio

from asyncbook.selfcheck import evaluate
from checking import failed_with

# -- chNN-example ------------------------------------------------------------------------------


async def right_run_both(a, b):
    return await asyncio.gather(a, b)


def test_example_right_answer_passes() -> None:
    result = evaluate("chNN-example", right_run_both)
    assert result.passed, result.message


def test_example_one_after_the_other_is_refused() -> None:
    async def run_both(a, b):
        return [await a, await b]

    failed_with("chNN-example", run_both, "only ['a'] had started", "asyncio.gather")


def test_example_results_in_the_wrong_order_are_refused() -> None:
    async def run_both(a, b):
        first, second = await asyncio.gather(a, b)
        return [second, first]

    failed_with("chNN-example", run_both, "returned ['B', 'A']", "order of the arguments")


def test_example_plain_function_is_refused() -> None:
    def run_both(a, b):
        return [a, b]

    failed_with("chNN-example", run_both, "must be an `async def` function")


def test_example_called_function_is_refused() -> None:
    coroutine = right_run_both(None, None)  # a coroutine object, not the function
    try:
        failed_with("chNN-example", coroutine, "pass the function itself")
    finally:
        coroutine.close()


def test_example_error_in_the_answer_is_reported() -> None:
    async def run_both(a, b):
        a.close()
        b.close()
        raise ValueError("not yet")

    failed_with("chNN-example", run_both, "your code raised ValueError: not yet")
