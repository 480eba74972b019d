"""asyncbook.workload: deterministic work, picklable by reference, usable from a spawn process pool."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from asyncbook import workload
from asyncbook.workload import hash_file, make_files, send_stderr_to, sha256_hex, spin, worker_pid


def test_spin_computes_its_sum() -> None:
    assert spin(0) == 0
    assert spin(10) == sum(i * i for i in range(10))
    assert spin(5000) == sum(i * i for i in range(5000)) % 1_000_003


@pytest.mark.parametrize("bad", [1.5, "10", True, None])
def test_spin_wants_an_int(bad: object) -> None:
    with pytest.raises(TypeError, match="n must be an int"):
        spin(bad)  # type: ignore[arg-type]


def test_spin_refuses_negative() -> None:
    with pytest.raises(ValueError, match="at least 0"):
        spin(-1)


def test_sha256_hex_is_hashlibs() -> None:
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(TypeError, match="encode text first"):
        sha256_hex("abc")  # type: ignore[arg-type]


def test_make_files_is_deterministic_and_distinct(tmp_path) -> None:
    first = make_files(tmp_path / ".", 3, 10_000)
    contents = [p.read_bytes() for p in first]
    assert [p.name for p in first] == ["file-000.bin", "file-001.bin", "file-002.bin"]
    assert all(len(c) == 10_000 for c in contents)
    assert len(set(contents)) == 3
    again = tmp_path / "again"
    again.mkdir()
    assert [p.read_bytes() for p in make_files(again, 3, 10_000)] == contents


def test_make_files_sizes_below_a_block_and_zero(tmp_path) -> None:
    assert make_files(tmp_path, 1, 100)[0].stat().st_size == 100
    assert make_files(tmp_path, 1, 0)[0].stat().st_size == 0


def test_make_files_bad_input(tmp_path) -> None:
    with pytest.raises(ValueError, match="not an existing folder"):
        make_files(tmp_path / "missing", 1, 10)
    with pytest.raises(ValueError, match="count must be at least 1"):
        make_files(tmp_path, 0, 10)
    with pytest.raises(TypeError, match="size must be an int"):
        make_files(tmp_path, 1, 1.5)  # type: ignore[arg-type]


def test_hash_file_returns_name_and_digest(tmp_path) -> None:
    path = make_files(tmp_path, 1, 200_000)[0]
    data = path.read_bytes()
    assert hash_file(path) == ("file-000.bin", hashlib.sha256(data).hexdigest())
    assert hash_file(str(path), "blake2b") == ("file-000.bin", hashlib.blake2b(data).hexdigest())


def test_hash_file_bad_input(tmp_path) -> None:
    path = make_files(tmp_path, 1, 10)[0]
    with pytest.raises(ValueError, match="unknown hash algorithm"):
        hash_file(path, "sha999")
    with pytest.raises(TypeError, match="path must be"):
        hash_file(42)  # type: ignore[arg-type]


def test_functions_pickle_by_reference() -> None:
    for function in (spin, worker_pid, hash_file, sha256_hex, make_files, send_stderr_to):
        assert pickle.loads(pickle.dumps(function)) is function
        assert function.__module__ == "asyncbook.workload"


def test_send_stderr_to_redirects(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    log = tmp_path / "worker.log"
    send_stderr_to(log)
    print("worker's last words", file=sys.stderr)
    sys.stderr.close()
    assert log.read_text(encoding="utf-8") == "worker's last words\n"
    with pytest.raises(TypeError, match="path must be"):
        send_stderr_to(3)  # type: ignore[arg-type]


def test_a_spawn_process_pool_finds_them(tmp_path) -> None:
    """What chapter 9 relies on: spawn children import asyncbook.workload and run its functions."""
    paths = make_files(tmp_path, 2, 1000)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert list(pool.map(hash_file, paths)) == [hash_file(p) for p in paths]
        assert pool.submit(workload.spin, 100).result() == spin(100)
        assert pool.submit(worker_pid).result() != worker_pid()
