"""Atomic writes: the old file survives a failed write, and no temporary file is left."""
import os

import pytest

from pystory.atomic import atomic_open, write_text_atomic


def test_atomic_write_replaces_the_file(tmp_path):
    p = tmp_path / "f.txt"
    write_text_atomic(p, "old")
    write_text_atomic(p, "new")
    assert p.read_text() == "new" and os.listdir(tmp_path) == ["f.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(p, "wb") as f:
            f.write(b"half of the new")
            raise RuntimeError("interrupted")
    assert p.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]


def test_atomic_write_creates_missing_folders(tmp_path):
    p = tmp_path / "a" / "b" / "f.txt"
    write_text_atomic(p, "x")
    assert p.read_text() == "x"


# --- temporaries, folder fsync, a full disk, the lock -------------------------------------------

import errno  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from pystory import atomic  # noqa: E402
from pystory.atomic import FolderLocked, clean_stale, folder_lock  # noqa: E402


def dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_temporary_left_by_a_killed_write_is_removed_by_the_next_write(tmp_path):
    stale = tmp_path / f".tmp-{dead_pid()}-abc-model.ckpt"
    stale.write_bytes(b"half a checkpoint")
    write_text_atomic(tmp_path / "other.txt", "x")
    assert sorted(os.listdir(tmp_path)) == ["other.txt"]


def test_a_temporary_of_a_live_process_is_kept(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        busy = tmp_path / f".tmp-{live.pid}-abc-model.ckpt"
        busy.write_bytes(b"being written")
        assert clean_stale(tmp_path) == [] and busy.exists()
    finally:
        live.kill()
        live.wait()


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    p = tmp_path / "f.txt"
    seen = []
    real = os.fsync

    def spy(fd):
        seen.append((stat.S_ISDIR(os.fstat(fd).st_mode), p.exists()))
        real(fd)
    monkeypatch.setattr(os, "fsync", spy)
    write_text_atomic(p, "x")
    assert seen == [(False, False), (True, True)]      # the file before the rename, the folder after


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    p = tmp_path / "model.ckpt"
    p.write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as e:
        write_text_atomic(p, "new" * 1000)
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(p)
    assert p.read_bytes() == b"old" and os.listdir(tmp_path) == ["model.ckpt"]


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 64 KiB tmpfs (needs root and a kernel that lets this container mount; else skipped)."""
    d = tmp_path / "small"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip() or r.returncode}")
    yield d
    subprocess.run(["umount", str(d)], check=True)


def test_a_really_full_disk_names_the_file_and_keeps_the_old_one(tiny_tmpfs):
    p = tiny_tmpfs / "big.bin"
    p.write_bytes(b"old")
    with pytest.raises(OSError) as e:
        atomic.write_bytes_atomic(p, b"x" * (1 << 20))
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(p)
    assert p.read_bytes() == b"old" and os.listdir(tiny_tmpfs) == ["big.bin"]


def test_a_folder_cannot_be_written_over(tmp_path):
    with pytest.raises(IsADirectoryError):
        write_text_atomic(tmp_path, "x")


def test_a_second_lock_on_a_folder_is_refused_naming_the_holder(tmp_path):
    with folder_lock(tmp_path):
        with pytest.raises(FolderLocked, match=rf"in use by another run \(pid {os.getpid()}\)"):
            with folder_lock(tmp_path):
                pass
    with folder_lock(tmp_path):        # released at the end of the block
        pass


def test_a_lock_held_by_another_process_is_refused_and_freed_when_it_exits(tmp_path):
    code = ("import sys, time; from pystory.atomic import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FolderLocked, match=f"pid {holder.pid}"):
            with folder_lock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with folder_lock(tmp_path):        # kill -9 released it
        pass
