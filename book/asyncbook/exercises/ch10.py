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

No verdict on a right answer depends on the machine's speed. A busy machine can leave the
checker's thread without a CPU for half a second; when it runs again, every timer that came due
meanwhile fires at once, the guard's with the answer's. So a guard ends an answer only after its
time is up *and* the loop has turned a number of times since: turns in which a right answer,
whose own time limit fired first, finishes. Waits on other processes get seconds where a right
answer needs milliseconds, and whether a connection was closed is read from asyncio's
transports instead of being waited for.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import pathlib
import random
import signal
import struct
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_fresh_loop

# Guards: only wrong answers (that hang, or leave something open or running) run into them, and
# their feedback names the seconds. _GUARD: one step of a dialogue on 127.0.0.1, which a right
# answer finishes in a few turns of the loop. _LONG_GUARD: whole scenarios of many turns, and
# waits for other processes (a busy machine can start or end a process seconds late).
_GUARD = 1.0
_LONG_GUARD = 5.0
_TURNS = 20  # turns of the loop a guard waits for after its time is up
_RUN_LIMIT = 30.0  # the worker thread's own limit: a safety net behind the guards


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
    """Run *aw* under a guard; say how it ended ("returned", "raised", "timeout") instead of raising.

    The guard is *guard* seconds of the loop's clock followed by _TURNS turns of the loop. A plain
    ``asyncio.timeout(guard)`` would fire in the same turn as the answer's own, shorter, time limit
    after the thread had been kept from running for longer than *guard*, and cancel a right answer.
    """
    task = asyncio.ensure_future(aw)
    loop = asyncio.get_running_loop()
    deadline, turns_after = loop.time() + guard, 0
    try:
        while not task.done() and turns_after < _TURNS:
            await asyncio.wait({task}, timeout=0.01)
            if loop.time() >= deadline:
                turns_after += 1
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        return "timeout", guard
    error = task.exception()
    if error is None:
        return "returned", task.result()
    if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit: not the answer's verdict
        raise error
    return "raised", error  # the reader's code failed: the caller explains it


@asynccontextmanager
async def _serve(handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
                 ) -> AsyncIterator[int]:
    """Run a server on 127.0.0.1 (port chosen by the OS); yield its port; close it and its clients.

    On the way out, every connection is cut and every handler is given the time to end: a
    handler still running when the check's loop shuts down would be cancelled, and on 3.11 and
    early 3.12 releases ``start_server`` reports a cancelled handler as an error ("Exception in
    callback", gh-113538).
    """
    writers: set[asyncio.StreamWriter] = set()
    handlers: set[asyncio.Task[Any]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        current = asyncio.current_task()
        if current is not None:
            handlers.add(current)
        try:
            await handler(reader, writer)
        except asyncio.CancelledError:
            pass  # only the check's own end cancels a handler (see the docstring)
        finally:
            writer.close()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.transport.abort()  # a handler reading or writing sees its connection end
        pending = {task for task in handlers if not task.done()}
        if pending:
            _, hanging = await asyncio.wait(pending, timeout=_GUARD)
            for task in hanging:  # a wrong answer that ignores its connection's end
                task.cancel()
            if hanging:
                await asyncio.wait(hanging)
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
        return await _outcome(read_messages(reader), _LONG_GUARD)  # one turn per piece: many turns
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
    kind, value = run_in_fresh_loop(lambda: _fed_reader(read_messages, _cut(data, random.Random(10))), _RUN_LIMIT)
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
                return await _outcome(read_messages(reader), _LONG_GUARD)
            finally:
                writer.close()

    kind, value = run_in_fresh_loop(over_tcp, _RUN_LIMIT)
    if (kind, value) != ("returned", _MESSAGES):
        raise Wrong(explain(kind, value, "a server on 127.0.0.1 sent"))

    kind, value = run_in_fresh_loop(lambda: _fed_reader(read_messages, []), _RUN_LIMIT)
    if (kind, value) != ("returned", []):
        raise Wrong(f"on a stream that ends at once, read_messages {_describe(kind, value)}; expected [].")

    for cut_at, where in ((len(data) - 2, "inside the last message"), (len(data) - 5, "inside a header")):
        kind, value = run_in_fresh_loop(lambda: _fed_reader(read_messages, _cut(data[:cut_at], random.Random(cut_at))),
                                         _RUN_LIMIT)
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
            # The checker ends every connection itself; this guard only stops a handler that hangs.
            kind, value = await _outcome(handle(reader, writer), guard=_RUN_LIMIT)
            if kind == "returned" and not writer.is_closing():  # noted before _serve closes it
                finished.append("returned without closing its connection")
            else:
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
                    kind, value = await _outcome(fast[0].readline())
                    answers.append(value if kind == "returned" else None)
                if answers != [b"1: ONE\n", b"2: TWO\n"]:
                    missing = f" (None: nothing within {_GUARD:g} s)" if None in answers else ""
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
                if "returned without closing its connection" in finished:
                    return ("a handler returned without closing its connection (the checker closed it for "
                            "you): at the end of the stream, writer.close() and await writer.wait_closed().")
                if kind == "timeout" or any(f != "returned" for f in finished):
                    return f"the handlers should end after closing their connection; they: {finished}."
                return None
            finally:
                for _, writer in (slow, fast):
                    writer.close()

    problem = run_in_fresh_loop(scenario, _RUN_LIMIT)
    if problem:
        raise Wrong(problem)
    return "numbers each complete line per client, however it is cut, and closes at the client's end of stream."


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


# -- ask a question with a time limit ----------------------------------------------------------
def _open_connections_to(port: int) -> int:
    """How many of asyncio's socket transports to 127.0.0.1:*port* are not closed (or closing).

    A client that closes its writer closes its transport at once; one that forgets to (or drops
    the writer) leaves the transport registered with its loop, open. Reading that state tells
    right from wrong at once, where waiting for the server to notice would need a time limit.
    """
    count = 0
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Transport) and not obj.is_closing():
            peer = obj.get_extra_info("peername")
            if isinstance(peer, tuple) and peer[:2] == ("127.0.0.1", port):
                count += 1
    return count


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
            closed = _open_connections_to(port) == 0
            if closed:  # the client's end is closed: the server sees it as soon as it runs
                closed = (await _outcome(closed_by_client.wait()))[0] == "returned"
        return kind, value, heard, closed

    def run(answer: bool, seconds: float) -> tuple[str, Any, list[bytes], bool]:
        # A writer the answer drops without closing is closed by the garbage collector, with a
        # ResourceWarning: the server then sees the connection end, but the answer leaked it.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_in_fresh_loop(lambda: scenario(answer, seconds), _RUN_LIMIT)
            gc.collect()
        leaked = any(issubclass(w.category, ResourceWarning) and "StreamWriter" in str(w.message) for w in caught)
        kind, value, heard, closed = result
        return kind, value, heard, closed and not leaked

    # The server answers at once: a generous limit, so that a busy machine cannot make it expire.
    kind, value, heard, closed = run(True, 10.0)
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
# The exit status of a killed child: -9 ("killed by signal 9") on POSIX; on Windows kill() is
# TerminateProcess with exit code 1 (section "A child that hangs").
_KILLED = -signal.SIGKILL if hasattr(signal, "SIGKILL") else 1


def _ended(transport: asyncio.SubprocessTransport) -> bool:
    """True once the child of *transport* has been killed or has ended, waited for or not.

    asyncio records the exit status when it notices the exit, which a busy machine can delay
    for a child that was killed but not waited for; and a killed child can take a while to die
    (one still starting, in the middle of loading Python, finishes that first). On Linux, /proc
    tells at once: a SIGKILL pending, the kernel's "exiting" flag, or a zombie (ended, its
    status not yet collected) all mean that the child was killed or has ended.
    """
    if transport.get_returncode() is not None:
        return True
    if not sys.platform.startswith("linux"):
        return False
    process = pathlib.Path(f"/proc/{transport.get_pid()}")
    try:
        stat = (process / "stat").read_text()
        status = (process / "status").read_text()
    except (FileNotFoundError, ProcessLookupError):  # collected meanwhile
        return True
    fields = stat.rpartition(")")[2].split()  # after "(name)": state, ppid, ..., flags (7th)
    if fields[0] in ("Z", "X") or int(fields[6]) & _PF_EXITING:
        return True
    pending = 0
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            pending |= int(line.split()[1], 16)
    return bool(pending & (1 << (_SIGKILL_NUMBER - 1)))


_PF_EXITING = 0x4  # Linux's per-process flag "getting shut down" (include/linux/sched.h)
_SIGKILL_NUMBER = 9  # on Linux, the only system this part reads /proc on


def _subprocess_transports() -> list[asyncio.SubprocessTransport]:
    """asyncio's transports for child processes that exist as objects (closed or not).

    While a child runs, asyncio keeps its transport (to report the exit to it), so a child the
    reader's code started and left running is always found here, even if the code dropped it.
    """
    return [t for t in gc.get_objects() if isinstance(t, asyncio.SubprocessTransport)]


@exercise("ch10-run-child")
def check_run_child(run_child: Callable[..., Any]) -> str:
    _require_coroutine_function(run_child, "run_child")
    python = sys.executable

    def run(args: list[str], seconds: float) -> tuple[str, Any]:
        return run_in_fresh_loop(lambda: _outcome(run_child(args, seconds), seconds + _LONG_GUARD), _RUN_LIMIT)

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

    async def hanging() -> tuple[str, Any, bool]:
        before = _subprocess_transports()  # kept alive, so that no new transport reuses an id
        known = {id(t) for t in before}

        def started_here() -> list[asyncio.SubprocessTransport]:
            return [t for t in _subprocess_transports() if id(t) not in known]

        kind, value = await _outcome(run_child([python, "-c", "import time; time.sleep(30)"], 0.2), _LONG_GUARD)
        # A child the answer killed ends at once.
        ended, _ = await _outcome(_until(lambda: all(_ended(t) for t in started_here())))
        left_running = ended != "returned"
        for transport in started_here():
            if not _ended(transport):
                transport.kill()  # the check cleans up what the answer left running
        # Let asyncio note each child's exit and close its transport (it does so by itself once
        # the child is gone, wait() or not): a transport left open when this loop closes would
        # complain later, in some other cell of the reader's notebook.
        await _outcome(_until(lambda: all(t.is_closing() for t in started_here())), _LONG_GUARD)
        return kind, value, left_running

    kind, value, left_running = run_in_fresh_loop(hanging, _RUN_LIMIT)
    if left_running:
        raise Wrong(f"for a child that hangs, with seconds=0.2, run_child {_describe(kind, value)}, and the "
                    "child was still running afterwards: on TimeoutError, proc.kill(), then await proc.wait().")
    if (kind, value) != ("returned", (_KILLED, "")):
        hint = ""
        if kind == "returned" and isinstance(value, tuple) and value and value[0] is None:
            hint = " The exit status is None until you await proc.wait() after kill()."
        raise Wrong(f"for a child that hangs, with seconds=0.2, run_child {_describe(kind, value)}; expected "
                    f"({_KILLED}, ''): kill it, wait for it, and return its exit status with ''.{hint}")
    return "returns status and output, and kills, then waits for, a child that runs too long."
