"""Atomic file writes: a reader sees the old file or the new one, never half.

Every file pystory writes for later (corpora, token shards, merges files,
checkpoints, the emulator's cache) goes through `atomic_open`: the data is
written to a temporary file in the same folder, flushed to disk, then
renamed over the target — a rename within one folder is atomic. If writing
fails (or the program is interrupted), the temporary file is removed and the
old file is untouched.
"""
import contextlib
import os
import tempfile


def make_readable(path):
    """Give a mkstemp file (created 0600) the usual permissions (0666 minus umask)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


@contextlib.contextmanager
def atomic_open(path, mode="wb", encoding=None):
    """Open `path` for writing ("w" or "wb"), atomically; use as `with atomic_open(p) as f:`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="-" + os.path.basename(path))
    try:
        newline = "\n" if "b" not in mode else None
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        make_readable(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path, text):
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(text)
