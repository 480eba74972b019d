"""The chapter 10 checkers accept right answers and explain typical wrong ones.

The checkers run the answers against real servers on 127.0.0.1 and real child processes;
the verdicts depend on what the answers do, never on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import gc
import struct

import pytest

from asyncbook.selfcheck import evaluate
from checking import failed_with


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


# -- ch10-read-messages ----------------------------------------------------------------------------
async def read_messages_right(reader):
    messages = []
    while True:
        try:
            header = await reader.readexactly(4)
        except asyncio.IncompleteReadError as error:
            if error.partial:
                raise
            return messages
        (length,) = struct.unpack("!I", header)
        messages.append(await reader.readexactly(length))


def test_read_messages_right_answer_passes() -> None:
    result = evaluate("ch10-read-messages", read_messages_right)
    assert result.passed, result.message


def test_read_messages_trusting_read_n_is_refused() -> None:
    async def read_messages(reader):
        messages = []
        while header := await reader.read(4):
            messages.append(await reader.read(int.from_bytes(header, "big")))
        return messages

    failed_with("ch10-read-messages", read_messages, "cut into small pieces", "use readexactly(n)")


def test_read_messages_that_never_stops_cleanly_is_refused() -> None:
    async def read_messages(reader):
        messages = []
        while True:
            (length,) = struct.unpack("!I", await reader.readexactly(4))
            messages.append(await reader.readexactly(length))

    failed_with("ch10-read-messages", read_messages, "raised IncompleteReadError", "partial == b''")


def test_read_messages_that_hides_a_cut_off_message_is_refused() -> None:
    async def read_messages(reader):
        messages = []
        while True:
            try:
                (length,) = struct.unpack("!I", await reader.readexactly(4))
                messages.append(await reader.readexactly(length))
            except asyncio.IncompleteReadError:
                return messages

    failed_with("ch10-read-messages", read_messages, "ends inside the last message", "should let")


def test_read_messages_must_be_async() -> None:
    failed_with("ch10-read-messages", lambda reader: [], "`async def`")
    failed_with("ch10-read-messages", "read_messages", "pass the function itself")


# -- ch10-numbered-lines -----------------------------------------------------------------------------
async def handle_right(reader, writer):
    count = 0
    while line := await reader.readline():
        count += 1
        writer.write(f"{count}: ".encode() + line.upper())
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def test_numbered_lines_right_answer_passes() -> None:
    result = evaluate("ch10-numbered-lines", handle_right)
    assert result.passed, result.message


def test_numbered_lines_reading_chunks_is_refused() -> None:
    async def handle(reader, writer):
        count = 0
        while data := await reader.read(100):
            count += 1
            writer.write(f"{count}: {data.decode().upper()}".encode())
            await writer.drain()
        writer.close()

    failed_with("ch10-numbered-lines", handle, "[b'1: ONE\\n', b'TWO\\n']", "use readline()")


def test_numbered_lines_with_one_count_for_all_clients_is_refused() -> None:
    count = 0

    async def handle(reader, writer):
        nonlocal count
        while line := await reader.readline():
            count += 1
            writer.write(f"{count}: ".encode() + line.upper())
            await writer.drain()
        writer.close()

    failed_with("ch10-numbered-lines", handle, "each connection counts its own lines")


async def number_lines_without_closing(reader, writer):
    """Answers every line right, then forgets writer.close(): the connection stays open."""
    count = 0
    while line := await reader.readline():
        count += 1
        writer.write(f"{count}: ".encode() + line.upper())
        await writer.drain()


def test_numbered_lines_that_never_closes_is_refused() -> None:
    async def handle(reader, writer):
        await number_lines_without_closing(reader, writer)
        await asyncio.sleep(60)  # and hangs on

    failed_with("ch10-numbered-lines", handle, "the connection stayed open", "wait_closed")


def test_numbered_lines_that_returns_without_closing_is_refused() -> None:
    failed_with("ch10-numbered-lines", number_lines_without_closing, "returned without closing its connection",
                "wait_closed")


def test_numbered_lines_wants_reader_and_writer() -> None:
    async def handle(reader):
        pass

    failed_with("ch10-numbered-lines", handle, "two arguments")


# -- ch10-ask -----------------------------------------------------------------------------------------
async def ask_right(port, question, seconds):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"{question}\n".encode())
        await writer.drain()
        async with asyncio.timeout(seconds):
            return (await reader.readline()).decode().removesuffix("\n")
    except TimeoutError:
        return None
    finally:
        writer.close()
        await writer.wait_closed()


def test_ask_right_answer_passes() -> None:
    result = evaluate("ch10-ask", ask_right)
    assert result.passed, result.message


def test_ask_without_a_time_limit_is_refused() -> None:
    async def ask(port, question, seconds):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"{question}\n".encode())
            return (await reader.readline()).decode().removesuffix("\n")
        finally:
            writer.close()
            await writer.wait_closed()

    failed_with("ch10-ask", ask, "was still running after 0.5 s", "asyncio.timeout(seconds)")


def test_ask_that_leaves_the_connection_open_after_a_timeout_is_refused() -> None:
    async def ask(port, question, seconds):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"{question}\n".encode())
        try:
            async with asyncio.timeout(seconds):
                answer = await reader.readline()
        except TimeoutError:
            return None
        writer.close()
        await writer.wait_closed()
        return answer.decode().removesuffix("\n")

    failed_with("ch10-ask", ask, "after the time limit", "`finally:`")


def test_ask_that_keeps_the_newline_is_refused() -> None:
    async def ask(port, question, seconds):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"{question}\n".encode())
            async with asyncio.timeout(seconds):
                return (await reader.readline()).decode()
        finally:
            writer.close()
            await writer.wait_closed()

    failed_with("ch10-ask", ask, "returned '42\\n'", "without the newline")


def test_ask_without_the_newline_on_the_question_is_refused() -> None:
    async def ask(port, question, seconds):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(question.encode())
            writer.write_eof()
            async with asyncio.timeout(seconds):
                return (await reader.readline()).decode().strip()
        except TimeoutError:
            return None
        finally:
            writer.close()
            await writer.wait_closed()

    failed_with("ch10-ask", ask, "[b'meaning of life?']", "with a newline")


# -- ch10-run-child --------------------------------------------------------------------------------------
async def run_child_right(args, seconds):
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(seconds):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return proc.returncode, ""
    return proc.returncode, out.decode()


def test_run_child_right_answer_passes() -> None:
    result = evaluate("ch10-run-child", run_child_right)
    assert result.passed, result.message


# The wrong answer leaves asyncio's transport of a killed child behind, on a loop the checker has
# closed: when it is collected, its __del__ fails ("Event loop is closed"), an unraisable exception
# that belongs to the wrong answer, not to the checker. It is collected here, inside this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_run_child_that_does_not_wait_after_kill_is_refused() -> None:
    async def run_child(args, seconds):
        proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
        try:
            async with asyncio.timeout(seconds):
                out, _ = await proc.communicate()
        except TimeoutError:
            proc.kill()
            return proc.returncode, ""
        return proc.returncode, out.decode()

    failed_with("ch10-run-child", run_child, "returned (None, '')", "until you await proc.wait()")
    gc.collect()


# The wrong answer leaves asyncio's transport of a killed child behind, on a loop the checker has
# closed: when it is collected, its __del__ fails ("Event loop is closed"), an unraisable exception
# that belongs to the wrong answer, not to the checker. It is collected here, inside this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_run_child_that_leaves_the_child_running_is_refused() -> None:
    async def run_child(args, seconds):
        proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
        try:
            async with asyncio.timeout(seconds):
                out, _ = await proc.communicate()
        except TimeoutError:
            return -9, ""
        return proc.returncode, out.decode()

    failed_with("ch10-run-child", run_child, "still running afterwards", "proc.kill()")
    gc.collect()


def test_run_child_returning_bytes_is_refused() -> None:
    async def run_child(args, seconds):
        proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        return proc.returncode, out

    failed_with("ch10-run-child", run_child, "returned (0, b'hello\\n')", "decoded output")


def test_run_child_must_be_async() -> None:
    failed_with("ch10-run-child", lambda args, seconds: (0, ""), "`async def`")
