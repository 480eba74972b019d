"""List the sockets and child processes a process holds, to prove a notebook cleaned up.

A chapter that starts servers and child processes must stop them all: a server left
listening keeps its port, a child left running keeps its memory, and neither shows in
any output. So the tests run such a chapter in a fresh kernel, take a :func:`snapshot`
of the kernel process before and after, and fail if :func:`leftovers` finds anything new.

It reads Linux's ``/proc`` (no third-party package needed): ``/proc/<pid>/fd`` for the
open sockets, ``/proc/<pid>/net/tcp*`` to name the TCP ones, and every ``/proc/<n>/stat``
for the processes whose parent is *pid* (zombies included: a child that was killed but
never waited for is a leftover too).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
from dataclasses import dataclass

__all__ = ["Snapshot", "snapshot", "leftovers", "left_open"]

_PROC = pathlib.Path("/proc")
_TCP_STATES = {"01": "ESTABLISHED", "06": "TIME_WAIT", "08": "CLOSE_WAIT", "0A": "LISTEN"}


@dataclass(frozen=True)
class Snapshot:
    """What one process held at one moment.

    :param sockets: socket inode -> a description (``"TCP 127.0.0.1:5000 LISTEN"``, or
        ``"socket"`` when it is not a TCP socket).
    :param children: child pid -> ``"<command> (state <S>)"``.
    """

    pid: int
    sockets: dict[int, str]
    children: dict[int, str]


def _check_pid(pid: object) -> int:
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise TypeError(f"pid must be an int process id such as os.getpid(), got {type(pid).__name__}")
    if pid <= 0:
        raise ValueError(f"pid must be a positive process id, got {pid}")
    if not (_PROC / str(pid)).is_dir():
        raise ProcessLookupError(f"no process {pid} in /proc: is it still running (and is this Linux)?")
    return pid


def _tcp_names(pid: int) -> dict[int, str]:
    """inode -> "TCP addr:port STATE" from the process's view of /proc/net/tcp and tcp6."""
    names: dict[int, str] = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / str(pid) / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port = fields[1].split(":")
            if len(address) == 8:  # IPv4, little-endian hex
                host = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
            else:
                host = "[ipv6]"
            state = _TCP_STATES.get(fields[3], f"state {fields[3]}")
            names[int(fields[9])] = f"TCP {host}:{int(port, 16)} {state}"
    return names


def _sockets(pid: int) -> dict[int, str]:
    inodes: list[int] = []
    for fd in (_PROC / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed between listing and reading
            continue
        if target.startswith("socket:["):
            inodes.append(int(target[len("socket:["):-1]))
    tcp = _tcp_names(pid)
    return {inode: tcp.get(inode, "socket") for inode in inodes}


def _children(pid: int) -> dict[int, str]:
    children: dict[int, str] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        command = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == pid:
            children[int(entry.name)] = f"{command} (state {state})"
    return children


def snapshot(pid: int) -> Snapshot:
    """The sockets and child processes that process *pid* holds now."""
    pid = _check_pid(pid)
    return Snapshot(pid, _sockets(pid), _children(pid))


def leftovers(before: Snapshot, after: Snapshot) -> list[str]:
    """What *after* holds that *before* did not: one line per socket or child process, sorted.

    An empty list means the process gave back everything it took between the two snapshots.
    """
    if not isinstance(before, Snapshot) or not isinstance(after, Snapshot):
        raise TypeError("pass two Snapshot objects, made by snapshot(pid)")
    if before.pid != after.pid:
        raise ValueError(f"the snapshots are of different processes ({before.pid} and {after.pid})")
    found = [f"socket {desc}" for inode, desc in after.sockets.items() if inode not in before.sockets]
    found += [f"child process {pid}: {desc}" for pid, desc in after.children.items() if pid not in before.children]
    return sorted(found)


async def left_open(before: Snapshot, *, settle: float = 2.0) -> list[str]:
    """What this process holds now that it did not hold at *before*, once closing has finished.

    Closing is asynchronous: a transport closes its socket a turn of the loop after
    ``close()``, and a child's entry disappears only once it has been waited for. So the
    check looks again every 0.05 s until nothing is left or *settle* seconds have passed, and
    returns what is still open then (an empty list: everything was given back). A chapter that
    starts servers and children takes a snapshot in its first cells and awaits this in its
    last, so every run of the notebook (and nbval's output check) proves that it cleaned up.
    """
    if not isinstance(before, Snapshot):
        raise TypeError("pass the Snapshot taken at the start, e.g. before = snapshot(os.getpid())")
    if isinstance(settle, bool) or not isinstance(settle, (int, float)) or not 0 <= settle <= 60:
        raise ValueError(f"settle is a number of seconds between 0 and 60, such as 2.0; got {settle!r}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle
    while (found := leftovers(before, snapshot(before.pid))) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return found
