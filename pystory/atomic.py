"""Safe files: atomic writes, stale temporaries cleaned, and one run per output folder.

Every file pystory writes for later (corpora, token shards, merges files,
checkpoints, figures, tables, the emulator's cache) goes through
`atomic_open`:

    1. write to a temporary file `.tmp-<pid>-<random>-<name>` in the same folder,
    2. flush it and fsync it (the bytes are on the disk),
    3. rename it over the target (a rename within one folder is atomic),
    4. fsync the folder (the rename itself is on the disk: after a power cut
       the folder shows the new file or the old one, never neither).

A reader therefore sees the old file or the new one, never half. If writing
fails (a full disk, Ctrl-C) the temporary is removed and the old file is
untouched; the error names the file being written. If the process is killed
outright (kill -9) its temporary stays behind, so every write first removes
the temporaries in its folder whose process (the <pid> in the name) is gone.

`folder_lock` is an advisory lock (fcntl.flock) on `<folder>/.lock`: a
second training run into the same --out is refused instead of both writing
"the" checkpoint and only one of them surviving. The kernel drops the lock
when the process ends, however it ends, so a lock is never stale.
"""
import contextlib
import errno
import os
import re
import tempfile

try:
    import fcntl
except ImportError:          # Windows: no advisory locks (pystory targets Linux and macOS)
    fcntl = None

__all__ = ["atomic_open", "write_text_atomic", "write_bytes_atomic", "save_figure", "clean_stale", "fsync_dir",
           "folder_lock", "FolderLocked"]

TMP = re.compile(r"\.tmp-(\d+)-.+")


def make_readable(path):
    """Give a mkstemp file (created 0600) the usual permissions (0666 minus umask)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:            # it exists, it is someone else's
        return True
    return True


def clean_stale(folder):
    """Remove temporaries left in `folder` by writes whose process is gone; returns their names."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = TMP.fullmatch(name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            try:
                os.unlink(os.path.join(folder, name))
                removed.append(name)
            except OSError:
                pass
    return removed


def fsync_dir(folder):
    """Flush a folder's entries (a rename, a new file) to the disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as e:                # a file system that cannot fsync a folder (rare): nothing to do
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path, mode="wb", encoding=None):
    """Open `path` for writing ("w" or "wb"), atomically; use as `with atomic_open(p) as f:`."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
    clean_stale(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".tmp-{os.getpid()}-", suffix="-" + os.path.basename(path))
    try:
        newline = "\n" if "b" not in mode else None
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        make_readable(tmp)
        os.replace(tmp, path)
        fsync_dir(folder)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename is None and e.errno:
            # a write, flush or fsync failed (a full disk): say which file it was
            raise OSError(e.errno, e.strerror or os.strerror(e.errno), path) from e
        raise


def write_text_atomic(path, text):
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_bytes_atomic(path, data):
    with atomic_open(path, "wb") as f:
        f.write(data)


def save_figure(fig, path, **savefig_kw):
    """fig.savefig(path), atomically (the format comes from path's extension)."""
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format=fmt, **savefig_kw)
    return os.fspath(path)


class FolderLocked(RuntimeError):
    """Another process holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(folder):
    """Hold an exclusive advisory lock on `folder` (its .lock file) for the `with` block.

    Raises FolderLocked naming the holder's pid if another process (or
    another lock in this process) has it.
    """
    os.makedirs(folder, exist_ok=True)
    if fcntl is None:
        yield
        return
    path = os.path.join(folder, ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise FolderLocked(f"{folder} is in use by another run (pid {holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)                    # closing drops the lock
