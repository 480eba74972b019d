"""Work to hand to threads and processes: pure-Python computing, hashing, and files to hash.

Chapter 9 runs these in thread pools and *process* pools. A process pool sends each call to
another Python process by pickling the function, which pickles as a reference (module and
name). The child then imports the module to find the function again, so a function defined in
a notebook cell cannot be sent to a ``spawn`` or ``forkserver`` child: the child has no such
cell. Functions in a module, like these, can. Every result here depends only on the arguments,
so a notebook can print it and get the same output on every run and every machine.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import random
import sys

__all__ = ["spin", "worker_pid", "make_files", "hash_file", "sha256_hex", "send_stderr_to"]

_CHUNK = 1 << 16  # read files 64 KiB at a time: hashlib releases the GIL on chunks this big


def _check_count(name: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def spin(n: int) -> int:
    """Pure-Python busy work: sum the squares of 0..n-1, modulo 1_000_003, one bytecode at a time.

    The loop runs in the interpreter, so the thread running it holds the GIL the whole
    time (the standard build lets it go only every few milliseconds, for another thread).
    """
    _check_count("n", n)
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total


def worker_pid() -> int:
    """The id of the process that runs this call.

    Sent to a new pool, it shows which process did the work, and it makes each worker import
    this module, so that later calls of :func:`spin` measure the work and not the import.
    """
    return os.getpid()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of *data*, in hex. On buffers of 2 KiB or more, hashlib releases the GIL while hashing."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}; encode text first: text.encode()")
    return hashlib.sha256(data).hexdigest()


def make_files(folder: str | os.PathLike[str], count: int, size: int) -> list[pathlib.Path]:
    """Write *count* files of *size* bytes into *folder* (which must exist); return their paths.

    File *i* repeats a 4 KiB block drawn from ``random.Random(i)`` (random bytes are slow to
    make, repeating them is not), so every file differs from the others, and the files and their
    digests are the same on every run and every machine.
    """
    _check_count("count", count, 1)
    _check_count("size", size)
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not an existing folder: create it first, e.g. with tempfile.TemporaryDirectory()")
    paths = []
    for i in range(count):
        path = folder / f"file-{i:03d}.bin"
        block = random.Random(i).randbytes(min(size, 4096)) or b"\0"
        path.write_bytes((block * (size // len(block) + 1))[:size])
        paths.append(path)
    return paths


def hash_file(path: str | os.PathLike[str], algorithm: str = "sha256") -> tuple[str, str]:
    """Return ``(file name, hex digest)`` of the file at *path*, read in 64 KiB chunks.

    *algorithm* is any name :func:`hashlib.new` knows (``"sha256"``, ``"blake2b"``, ...). The
    result holds the file's name, not its path, so that it prints the same wherever the folder is.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a pathlib.Path, got {type(path).__name__}")
    if algorithm not in hashlib.algorithms_available:
        raise ValueError(f"unknown hash algorithm {algorithm!r}; try one of: sha256, sha1, blake2b, md5")
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return pathlib.Path(path).name, digest.hexdigest()


def send_stderr_to(path: str | os.PathLike[str]) -> None:
    """A process pool *initializer*: send this worker's ``sys.stderr`` to the file at *path*.

    A worker that dies prints its traceback to stderr, which a notebook kernel shows in the
    cell, interleaved with other workers' and full of paths of the machine it ran on. With
    this, the traceback goes to a file that the notebook reads and prints the part it needs.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a pathlib.Path, got {type(path).__name__}")
    sys.stderr = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker
