"""Unit tests for asyncbook.errors: Python's exception report, minus the machine-specific frame lines."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.errors import format_exception_tree, print_exception_tree


def raised(exc: BaseException) -> BaseException:
    """Return *exc* after raising it, so it carries a real traceback."""
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_a_plain_exception_is_its_last_line() -> None:
    assert format_exception_tree(raised(ValueError("bad"))) == "ValueError: bad\n"


def test_no_file_lines_but_the_exception_keeps_its_traceback() -> None:
    exc = raised(KeyError("k"))
    text = format_exception_tree(exc)
    assert "File " not in text and "Traceback" not in text
    assert exc.__traceback__ is not None  # the caller's exception is not modified


def test_chained_exceptions_are_kept() -> None:
    try:
        try:
            1 / 0
        except ZeroDivisionError as e:
            raise KeyError("k") from e
    except KeyError as e:
        text = format_exception_tree(e)
    assert text == ("ZeroDivisionError: division by zero\n\n"
                    "The above exception was the direct cause of the following exception:\n\n"
                    "KeyError: 'k'\n")


def test_a_taskgroup_error_shows_its_sub_exceptions() -> None:
    async def boom(n: int) -> None:
        raise ValueError(f"boom {n}")

    async def main() -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(boom(1))
            tg.create_task(boom(2))

    with pytest.raises(ExceptionGroup) as info:
        asyncio.run(main())
    assert format_exception_tree(info.value).splitlines() == [
        "  | ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)",
        "  +-+---------------- 1 ----------------",
        "    | ValueError: boom 1",
        "    +---------------- 2 ----------------",
        "    | ValueError: boom 2",
        "    +------------------------------------",
    ]


def test_nested_groups() -> None:
    eg = raised(ExceptionGroup("outer", [ValueError(1), ExceptionGroup("inner", [TypeError(2)])]))
    text = format_exception_tree(eg)
    assert "ExceptionGroup: inner (1 sub-exception)" in text and "      | TypeError: 2" in text


def test_print_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    print_exception_tree(raised(ValueError("x")))
    assert capsys.readouterr().out == "ValueError: x\n"


@pytest.mark.parametrize("bad", ["ValueError", ValueError, None])
def test_rejects_what_is_not_an_exception_object(bad: object) -> None:
    with pytest.raises(TypeError, match="pass an exception object"):
        format_exception_tree(bad)  # type: ignore[arg-type]
