"""asyncbook.leftovers finds the sockets and child processes a process opened, and nothing else."""

from __future__ import annotations

import asyncio
import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest

from asyncbook.leftovers import Snapshot, left_open, leftovers, snapshot


def test_a_listening_socket_is_found_and_named_then_gone_once_closed() -> None:
    before = snapshot(os.getpid())
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert leftovers(before, snapshot(os.getpid())) == [f"socket TCP 127.0.0.1:{port} LISTEN"]
    assert leftovers(before, snapshot(os.getpid())) == []


def test_a_socket_pair_is_found_as_plain_sockets() -> None:
    before = snapshot(os.getpid())
    a, b = socket.socketpair()
    with a, b:
        assert leftovers(before, snapshot(os.getpid())) == ["socket socket", "socket socket"]


def test_a_running_child_is_found_then_gone_once_waited_for() -> None:
    before = snapshot(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        found = leftovers(before, snapshot(os.getpid()))
        assert len(found) == 1 and found[0].startswith(f"child process {child.pid}: "), found
    finally:
        child.kill()
        child.wait()
    assert leftovers(before, snapshot(os.getpid())) == []


def test_a_child_killed_but_not_waited_for_is_a_zombie_and_still_found() -> None:
    before = snapshot(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        stat = pathlib.Path(f"/proc/{child.pid}/stat")
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":  # until it has exited
            time.sleep(0.01)
        found = leftovers(before, snapshot(os.getpid()))
        assert len(found) == 1 and found[0].startswith(f"child process {child.pid}: "), found
        assert found[0].endswith("(state Z)"), found
    finally:
        child.wait()
    assert leftovers(before, snapshot(os.getpid())) == []


def test_same_snapshot_twice_has_no_leftovers() -> None:
    now = snapshot(os.getpid())
    assert leftovers(now, now) == []
    assert isinstance(now, Snapshot) and now.pid == os.getpid()


@pytest.mark.parametrize("pid", ["123", 1.0, True, None])
def test_snapshot_wants_an_int_pid(pid) -> None:
    with pytest.raises(TypeError, match="os.getpid"):
        snapshot(pid)


@pytest.mark.parametrize("pid", [0, -5])
def test_snapshot_wants_a_positive_pid(pid) -> None:
    with pytest.raises(ValueError, match="positive"):
        snapshot(pid)


def test_snapshot_of_a_process_that_does_not_exist() -> None:
    pid_max = int(pathlib.Path("/proc/sys/kernel/pid_max").read_text())  # pids are always below it
    with pytest.raises(ProcessLookupError, match="still running"):
        snapshot(pid_max)


def test_leftovers_wants_two_snapshots_of_one_process() -> None:
    now = snapshot(os.getpid())
    with pytest.raises(TypeError, match="Snapshot"):
        leftovers(now, "later")
    with pytest.raises(ValueError, match="different processes"):
        leftovers(now, Snapshot(now.pid + 1, {}, {}))


def test_left_open_waits_for_a_closing_server_and_then_finds_nothing() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        before = snapshot(os.getpid())
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        while_open = await left_open(before, settle=0)
        server.close()   # the listening socket goes a moment later: left_open waits for that
        await server.wait_closed()
        return while_open, await left_open(before)

    while_open, after = asyncio.run(scenario())
    assert [line for line in while_open if line.startswith("socket TCP 127.0.0.1:") and line.endswith("LISTEN")]
    assert after == []


def test_left_open_reports_what_is_still_open_after_settling() -> None:
    async def scenario() -> list[str]:
        before = snapshot(os.getpid())
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        try:
            return await left_open(before, settle=0.1)
        finally:
            server.close()
            await server.wait_closed()

    found = asyncio.run(scenario())
    assert len(found) == 1 and found[0].endswith(" LISTEN"), found


@pytest.mark.parametrize("before, settle, error", [
    ("snapshot", 1.0, TypeError), (None, 1.0, TypeError), ("ok", -1, ValueError), ("ok", True, ValueError),
    ("ok", "2", ValueError), ("ok", 61, ValueError),
])
def test_left_open_rejects_bad_input(before, settle, error) -> None:
    real = snapshot(os.getpid())
    with pytest.raises(error):
        asyncio.run(left_open(real if before == "ok" else before, settle=settle))
