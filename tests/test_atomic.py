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
