"""asyncbook.backends runs one async function on asyncio and on Trio, and rejects bad input."""

from __future__ import annotations

import pytest
import trio

from asyncbook.backends import BACKENDS, current_library, run_on


async def whoami(greeting: str) -> str:
    import anyio

    await anyio.sleep(0)
    return f"{greeting} from {current_library()}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_runs_on_each_backend(backend: str) -> None:
    assert run_on(backend, whoami, "hello") == f"hello from {backend}"


def test_trio_code_runs_on_the_trio_backend() -> None:
    async def nap() -> str:
        await trio.sleep(0)
        return "napped"

    assert run_on("trio", nap) == "napped"


def test_exceptions_come_back() -> None:
    async def fail() -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        run_on("asyncio", fail)


@pytest.mark.parametrize("backend", BACKENDS)
def test_timeout_ends_a_hung_call(backend: str) -> None:
    async def hang() -> None:
        import anyio

        await anyio.sleep_forever()

    with pytest.raises(TimeoutError):
        run_on(backend, hang, timeout=0.05)


def test_current_library_outside_async_code() -> None:
    with pytest.raises(RuntimeError, match="no async library"):
        current_library()


def test_bad_backend() -> None:
    with pytest.raises(ValueError, match="backend must be one of"):
        run_on("curio", whoami, "x")


def test_coroutine_instead_of_function() -> None:
    coro = whoami("x")
    with pytest.raises(TypeError, match="not a coroutine"):
        run_on("trio", coro)
    assert coro.cr_frame is None  # closed, so no "never awaited" warning


def test_not_callable_and_bad_timeout() -> None:
    with pytest.raises(TypeError, match="pass an async function"):
        run_on("trio", 3)
    with pytest.raises(ValueError, match="timeout"):
        run_on("trio", whoami, "x", timeout=0)
    with pytest.raises(ValueError, match="timeout"):
        run_on("trio", whoami, "x", timeout=True)
