"""Checkers for chapter 10, *Streams and subprocesses*.

Where the chapter (or the book) teaches what each exercise needs:

- ch10-read-messages: ``readexactly`` and ``IncompleteReadError`` with its ``partial`` bytes
  (section "Reading: readline, readexactly, read"); length-prefixed framing with ``struct`` or
  ``int.from_bytes`` (section "Framing"); why one ``read`` is not one message (same section).
- ch10-numbered-lines: ``start_server`` handlers, ``readline`` returning ``b""`` at the end,
  ``write``/``drain``/``close``/``wait_closed`` (sections "An echo server" and "Reading");
  a line protocol (section "Framing").
- ch10-ask: ``open_connection`` (section "An echo server"); ``asyncio.timeout`` around a read
  (section "Timeouts and shutting down"; ``asyncio.timeout`` itself is chapter 4); closing
  in ``finally`` (same section).
- ch10-run-child: ``create_subprocess_exec``, ``communicate``, ``kill`` and ``wait``, and a
  time limit on a child (section "Subprocesses").

Every check runs the reader's code against real sockets on 127.0.0.1 (ports chosen by the
OS) or real child processes, on a fresh event loop in a worker thread, and looks at what
happened. Scenarios that need a stream cut at awkward places also feed a ``StreamReader``
directly, one piece per turn of the loop, so that the cut is certain. Each scenario has a
guard time limit, reached only by wrong answers, and every server, connection and child
that a check starts is closed or killed before the check returns.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
import pathlib
import random
import signal
import struct
import sys
import tempfile
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_fresh_loop

_GUARD = 2.0  # seconds a right answer never needs; only wrong answers run into it


def _require_coroutine_function(func: object, name: str) -> None:
    if not callable(func):
        raise Wrong(f"pass the function itself: check(..., {name}), without calling it")
    if not inspect.iscoroutinefunction(func):
        raise Wrong(f"{name} must be an `async def` function.")


def _short(value: Any, limit: int = 100) -> str:
    """repr(value), cut after *limit* characters: feedback must stay readable."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def _describe(kind: str, value: Any) -> str:
    if kind == "returned":
        return f"returned {_short(value)}"
    if kind == "timeout":  # value: the guard's seconds
        return f"was still running after {value:g} s"
    return f"raised {type(value).__name__}: {value}" if str(value) else f"raised {type(value).__name__}"


async def _outcome(aw: Awaitable[Any], guard: float = _GUARD) -> tuple[str, Any]:
    """Run *aw* under the guard time limit; say how it ended instead of raising."""
    try:
        async with asyncio.timeout(guard):
            return "returned", await aw
    except TimeoutError:
        return "timeout", guard
    except Exception as error:  # the reader's code failed: the caller explains it
        return "raised", error


@asynccontextmanager
async def _serve(handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
                 ) -> AsyncIterator[int]:
    """Run a server on 127.0.0.1 (port chosen by the OS); yield its port; close it and its clients."""
    writers: set[asyncio.StreamWriter] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.transport.abort()
        await server.wait_closed()


# -- read length-prefixed messages --------------------------------------------------------------
def _frame(messages: list[bytes]) -> bytes:
    return b"".join(struct.pack("!I", len(m)) + m for m in messages)


def _cut(data: bytes, rng: random.Random) -> list[bytes]:
    """Cut *data* into pieces at random places (1 to 7 bytes, now and then a long piece)."""
    pieces, at = [], 0
    while at < len(data):
        size = rng.choice([1, 2, 3, 5, 7, 4096])
        pieces.append(data[at:at + size])
        at += size
    return pieces


_MESSAGES = [b"hello", b"", b"two\nlines", b"\x00\x01\x02", b"x" * 5000, b"bye"]


async def _fed_reader(read_messages: Callable[..., Any], pieces: list[bytes]) -> tuple[str, Any]:
    """Feed *pieces* to a StreamReader, one per turn of the loop, while read_messages reads it."""
    reader = asyncio.StreamReader()

    async def feed() -> None:
        for piece in pieces:
            reader.feed_data(piece)
            await asyncio.sleep(0)
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    try:
        return await _outcome(read_messages(reader))
    finally:
        feeder.cancel()
        await asyncio.gather(feeder, return_exceptions=True)


@exercise("ch10-read-messages")
def check_read_messages(read_messages: Callable[..., Any]) -> str:
    _require_coroutine_function(read_messages, "read_messages")
    data = _frame(_MESSAGES)

    def explain(kind: str, value: Any, source: str) -> str:
        hint = ""
        if kind == "returned" and isinstance(value, list):
            hint = (" A read(n) returns what has arrived, up to n bytes, possibly fewer: "
                    "use readexactly(n) for the header and for the payload.")
        if kind == "raised" and isinstance(value, asyncio.IncompleteReadError):
            hint = (" At the end of the stream, readexactly(4) raises IncompleteReadError with "
                    "partial == b'': that is the clean end, return the messages then.")
        return (f"{source} {len(_MESSAGES)} messages cut into small pieces, then ended; read_messages "
                f"{_describe(kind, value)}; expected {_MESSAGES[:3]!r} and 3 more.{hint}")

    # First a StreamReader fed piece by piece (the cuts are certain), then a real server.
    kind, value = run_in_fresh_loop(lambda: _fed_reader(read_messages, _cut(data, random.Random(10))))
    if (kind, value) != ("returned", _MESSAGES):
        raise Wrong(explain(kind, value, "a stream brought"))

    async def over_tcp() -> tuple[str, Any]:
        pieces = _cut(data, random.Random(11))

        async def send_in_pieces(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0)
            writer.close()
            await writer.wait_closed()

        async with _serve(send_in_pieces) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                return await _outcome(read_messages(reader))
            finally:
                writer.close()

    kind, value = run_in_fresh_loop(over_tcp)
    if (kind, value) != ("returned", _MESSAGES):
        raise Wrong(explain(kind, value, "a server on 127.0.0.1 sent"))

    kind, value = run_in_fresh_loop(lambda: _fed_reader(read_messages, []))
    if (kind, value) != ("returned", []):
        raise Wrong(f"on a stream that ends at once, read_messages {_describe(kind, value)}; expected [].")

    for cut_at, where in ((len(data) - 2, "inside the last message"), (len(data) - 5, "inside a header")):
        kind, value = run_in_fresh_loop(lambda: _fed_reader(read_messages, _cut(data[:cut_at], random.Random(cut_at))))
        if not (kind == "raised" and isinstance(value, asyncio.IncompleteReadError)):
            raise Wrong(f"when the stream ends {where}, a message is lost: read_messages should let "
                        f"asyncio.IncompleteReadError out, but it {_describe(kind, value)}.")
    return "reads every message however the stream is cut, stops at a clean end, and reports a cut-off message."


# -- a line server --------------------------------------------------------------------------------
@exercise("ch10-numbered-lines")
def check_numbered_lines(handle: Callable[..., Any]) -> str:
    _require_coroutine_function(handle, "handle")
    if len(inspect.signature(handle).parameters) != 2:
        raise Wrong("handle must take two arguments, (reader, writer), as asyncio.start_server passes them.")

    async def scenario() -> str | None:
        finished: list[str] = []

        async def watched(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            kind, value = await _outcome(handle(reader, writer), guard=_GUARD + 1)
            finished.append(kind if kind != "raised" else _describe(kind, value))

        async with _serve(watched) as port:
            slow = await asyncio.open_connection("127.0.0.1", port)
            fast = await asyncio.open_connection("127.0.0.1", port)
            try:
                slow[1].write(b"sl")  # half a line, the rest comes later
                await slow[1].drain()
                fast[1].write(b"one\ntwo\n")  # two lines in one write
                await fast[1].drain()
                answers = []
                for _ in range(2):
                    kind, value = await _outcome(fast[0].readline(), guard=1.0)
                    answers.append(value if kind == "returned" else None)
                if answers != [b"1: ONE\n", b"2: TWO\n"]:
                    missing = " (None: nothing within 1 s)" if None in answers else ""
                    return (f"a client sent b'one\\ntwo\\n' in one write (while another client had sent half a "
                            f"line) and got back the lines {answers!r}{missing}; expected "
                            "[b'1: ONE\\n', b'2: TWO\\n']. One read is not one line: use readline().")
                fast[1].write(b"thr")
                await fast[1].drain()
                await asyncio.sleep(0.05)
                fast[1].write(b"ee\n")  # one line in two writes
                kind, value = await _outcome(fast[0].readline())
                if (kind, value) != ("returned", b"3: THREE\n"):
                    return (f"a client sent b'thr', then b'ee\\n' (one line in two writes) and got back "
                            f"{value!r}; expected b'3: THREE\\n'. Answer whole lines only (readline).")
                slow[1].write(b"ow\n")
                kind, value = await _outcome(slow[0].readline())
                if (kind, value) != ("returned", b"1: SLOW\n"):
                    return (f"the slow client finished its line b'slow\\n' and got back {value!r}; expected "
                            "b'1: SLOW\\n' (each connection counts its own lines).")
                for _, writer in (slow, fast):
                    writer.write_eof()  # the client is done sending
                for reader, _ in (slow, fast):
                    kind, value = await _outcome(reader.read())
                    if kind == "timeout":
                        return ("after the client finished sending (end of stream), the connection stayed open: "
                                "when readline() returns b'', close the writer and await writer.wait_closed().")
                    if kind == "raised":
                        return f"after the client finished sending, reading the rest {_describe(kind, value)}."
                kind, _ = await _outcome(_until(lambda: len(finished) == 2))
                if kind == "timeout" or any(f != "returned" for f in finished):
                    return f"the handlers should end after closing their connection; they: {finished}."
                return None
            finally:
                for _, writer in (slow, fast):
                    writer.close()

    problem = run_in_fresh_loop(scenario, timeout=30)
    if problem:
        raise Wrong(problem)
    return "numbers each complete line per client, however it is cut, and closes at the client's end of stream."


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


# -- ask a question with a time limit ----------------------------------------------------------
@exercise("ch10-ask")
def check_ask(ask: Callable[..., Any]) -> str:
    _require_coroutine_function(ask, "ask")

    async def scenario(answer: bool, seconds: float) -> tuple[str, Any, list[bytes], bool]:
        heard: list[bytes] = []
        closed_by_client = asyncio.Event()

        async def server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            heard.append(await reader.readline())
            if answer:
                writer.write(b"42\n")
                await writer.drain()
            await reader.read()  # until the client closes its end
            closed_by_client.set()
            writer.close()
            await writer.wait_closed()

        async with _serve(server) as port:
            # A right answer takes `seconds` at most; the guard only ends answers without a time limit.
            kind, value = await _outcome(ask(port, "meaning of life?", seconds), guard=seconds + 0.4)
            closed, _ = await _outcome(closed_by_client.wait(), guard=0.5)
        return kind, value, heard, closed == "returned"

    def run(answer: bool, seconds: float) -> tuple[str, Any, list[bytes], bool]:
        # A writer the answer drops without closing is closed by the garbage collector, with a
        # ResourceWarning: the server then sees the connection end, but the answer leaked it.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_in_fresh_loop(lambda: scenario(answer, seconds))
            gc.collect()
        leaked = any(issubclass(w.category, ResourceWarning) and "StreamWriter" in str(w.message) for w in caught)
        kind, value, heard, closed = result
        return kind, value, heard, closed and not leaked

    kind, value, heard, closed = run(True, 1.0)
    if heard != [b"meaning of life?\n"]:
        raise Wrong(f"the server received {heard!r}; expected [b'meaning of life?\\n'] "
                    "(the question, encoded, with a newline: the server reads a line).")
    if (kind, value) != ("returned", "42"):
        raise Wrong(f"the server answered b'42\\n' at once; ask {_describe(kind, value)}; expected '42' "
                    "(decoded, without the newline).")
    if not closed:
        raise Wrong("ask returned the answer but left the connection open (or to the garbage collector, "
                    "which closes it with a ResourceWarning): close it (writer.close(); await writer.wait_closed()).")

    kind, value, heard, closed = run(False, 0.1)
    if kind == "timeout":
        raise Wrong(f"against a server that never answers, ask(port, question, 0.1) {_describe(kind, value)}: "
                    "put the read inside `async with asyncio.timeout(seconds):`.")
    if (kind, value) != ("returned", None):
        raise Wrong(f"against a server that never answers, ask(port, question, 0.1) {_describe(kind, value)}; "
                    "expected None. Catch the TimeoutError.")
    if not closed:
        raise Wrong("after the time limit, ask returned None but left the connection open (or to the garbage "
                    "collector, which closes it with a ResourceWarning): close it in a `finally:` block, so it "
                    "is closed whatever happens.")
    return "returns the answer in time, None after the time limit, and closes the connection both times."


# -- run a child with a time limit --------------------------------------------------------------
def _gone(pid: int) -> bool:
    """True once process *pid* no longer exists (killed and reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _open_transports(pid: int) -> list[asyncio.SubprocessTransport]:
    """asyncio's transports for child *pid* that are not closed yet."""
    return [t for t in gc.get_objects()
            if isinstance(t, asyncio.SubprocessTransport) and t.get_pid() == pid and not t.is_closing()]


@exercise("ch10-run-child")
def check_run_child(run_child: Callable[..., Any]) -> str:
    _require_coroutine_function(run_child, "run_child")
    python = sys.executable

    def run(args: list[str], seconds: float) -> tuple[str, Any]:
        return run_in_fresh_loop(lambda: _outcome(run_child(args, seconds)), timeout=30)

    # Children that finish at once get a generous limit: on a busy machine a new Python process
    # can take more than a second to start, and that is no fault of the answer.
    kind, value = run([python, "-c", "print('hello')"], 10.0)
    if (kind, value) != ("returned", (0, "hello\n")):
        raise Wrong(f"for a child that prints 'hello' and exits, run_child {_describe(kind, value)}; "
                    "expected (0, 'hello\\n'): the exit status and the decoded output.")
    kind, value = run([python, "-c", "import sys; print('bye'); sys.exit(3)"], 10.0)
    if (kind, value) != ("returned", (3, "bye\n")):
        raise Wrong(f"for a child that prints 'bye' and exits with status 3, run_child {_describe(kind, value)}; "
                    "expected (3, 'bye\\n').")

    with tempfile.TemporaryDirectory(prefix="asyncbook-") as folder:
        pid_file = pathlib.Path(folder, "pid")
        hang = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(30)"

        async def hanging() -> tuple[str, Any, bool]:
            kind, value = await _outcome(run_child([python, "-c", hang], 0.2))
            # On a busy machine the child may not have written its pid yet (Python takes a while to
            # start); if it is still alive, it will: wait for that, or the check would miss a child
            # left running. (A child killed before it wrote anything never will: then it is gone.)
            await _outcome(_until(lambda: pid_file.exists() and pid_file.read_text().strip() != ""), guard=3.0)
            text = pid_file.read_text().strip() if pid_file.exists() else ""
            if not text:
                return kind, value, False
            pid = int(text)
            gone, _ = await _outcome(_until(lambda: _gone(pid)), guard=1.0)
            if gone != "returned":
                os.kill(pid, signal.SIGKILL)  # the check cleans up what the answer left running
                await _outcome(_until(lambda: _gone(pid)), guard=1.0)
            # Let asyncio note the child's exit and close its transport (it does so by itself once
            # the child is gone, wait() or not): a transport left open when this loop closes would
            # complain later, in some other cell of the reader's notebook.
            await _outcome(_until(lambda: not _open_transports(pid)), guard=1.0)
            return kind, value, gone != "returned"

        kind, value, left_running = run_in_fresh_loop(hanging, timeout=30)
    if left_running:
        raise Wrong(f"for a child that hangs, with seconds=0.2, run_child {_describe(kind, value)}, and the "
                    "child was still running afterwards: on TimeoutError, proc.kill(), then await proc.wait().")
    if (kind, value) != ("returned", (-signal.SIGKILL, "")):
        hint = ""
        if kind == "returned" and isinstance(value, tuple) and value and value[0] is None:
            hint = " The exit status is None until you await proc.wait() after kill()."
        raise Wrong(f"for a child that hangs, with seconds=0.2, run_child {_describe(kind, value)}; expected "
                    f"({-signal.SIGKILL}, ''): kill it, wait for it, and return its exit status with ''.{hint}")
    return "returns status and output, and kills, then waits for, a child that runs too long."
