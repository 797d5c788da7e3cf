"""The command line's one validation layer: every `python -m pystory` command builds on it.

    p = Parser("python -m pystory train", description="...")
    p.add_argument("--lr", type=Float(0, 1, lo_open=True), default=1e-3, help="peak learning rate")
    p.add_argument("--corpus", type=Path("any", hint="run `make data` to write it"), default="data/storyworld")

What it guarantees, for every command:

- A bad argument is refused while parsing, before any work starts, in one
  line that names the option and says what is expected:
      train: argument --lr: must be a finite number in (0, 1], got 'nan' (see python -m pystory train --help)
  and the exit code is 2. Numbers are checked for type, range and
  finiteness (nan and inf are never a valid setting); paths for existence
  and kind (a file is not a folder).
- `--help` shows every option's default.
- `run(name, fn, argv)` runs a command: a user's mistake found later
  (UserError, a bad file, a full disk, a folder it may not write) is one line
  and exit code 2, Ctrl-C is one line and exit code 130, never a traceback.
  Set PYSTORY_TRACEBACK=1 to see the traceback anyway (for debugging pystory).
"""
from __future__ import annotations

import argparse
import errno
import math
import os
import sys

__all__ = ["Parser", "Int", "Float", "Many", "Path", "OutDir", "OutFile", "Tokenizer", "SEED", "UserError", "given",
           "run"]


class UserError(Exception):
    """A user's mistake found after parsing (an empty corpus, a checkpoint from another model):
    the message is printed as one line after the command's name, exit code 2."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's line breaks and adds "(default: X)" to every option that has one."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("%(default)" in text or not action.option_strings
                or any(action.default is v for v in (None, False, argparse.SUPPRESS))):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) and defaults in --help."""

    def __init__(self, prog, **kw):
        kw.setdefault("formatter_class", HelpFormatter)
        kw.setdefault("allow_abbrev", False)      # --st is not --steps: options may be added later
        super().__init__(prog=prog, **kw)

    @property
    def command(self):
        """'train' for prog 'python -m pystory train': the name messages start with."""
        return self.prog.replace("python -m pystory ", "", 1)

    def error(self, message):
        self.exit(2, f"{self.command}: {message} (see {self.prog} --help)\n")


# --- argument types: each returns the value or raises ArgumentTypeError with what was expected ---

def _interval(lo, hi, lo_open=False, hi_open=False):
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    return f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"


class Int:
    """An integer in [lo, hi] (either end None: unbounded)."""

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi
        self.__name__ = "integer"           # argparse names the type in some messages

    def __call__(self, text):
        try:
            v = int(text, 10)
        except (TypeError, ValueError):
            v = None
        if v is None or (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise argparse.ArgumentTypeError(f"must be an integer in {_interval(self.lo, self.hi)}, got {text!r}")
        return v


class Float:
    """A finite number in [lo, hi] (or open at either end)."""

    def __init__(self, lo=None, hi=None, lo_open=False, hi_open=False):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        self.__name__ = "number"

    def __call__(self, text):
        try:
            v = float(text)
        except (TypeError, ValueError):
            v = math.nan
        ok = math.isfinite(v)
        if ok and self.lo is not None:
            ok = v > self.lo if self.lo_open else v >= self.lo
        if ok and self.hi is not None:
            ok = v < self.hi if self.hi_open else v <= self.hi
        if not ok:
            where = _interval(self.lo, self.hi, self.lo_open, self.hi_open)
            raise argparse.ArgumentTypeError(f"must be a finite number in {where}, got {text!r}")
        return v


class Many:
    """Comma-separated values, each checked by `item` (an Int or a Float): "0.6,0.8,1.0" -> [0.6, 0.8, 1.0]."""

    def __init__(self, item):
        self.item = item
        self.__name__ = "list"

    def __call__(self, text):
        parts = [t.strip() for t in str(text).split(",")]
        if not text or not all(parts):
            raise argparse.ArgumentTypeError(f"must be values separated by commas, got {text!r}")
        try:
            return [self.item(t) for t in parts]
        except argparse.ArgumentTypeError as e:
            raise argparse.ArgumentTypeError(f"each value {e}") from None


SEED = Int(0, 2**64 - 1)                    # Philox takes a 64-bit key


class Path:
    """An existing path: kind 'file', 'dir' or 'any'; `hint` says how to make it when it is missing."""

    def __init__(self, kind="file", hint=None):
        self.kind, self.hint = kind, hint
        self.__name__ = "path"

    def __call__(self, text):
        hint = f"; {self.hint}" if self.hint else ""
        if not text:
            raise argparse.ArgumentTypeError("must be a path, got ''")
        if not os.path.exists(text):
            what = {"file": "no such file", "dir": "no such folder", "any": "no such file or folder"}[self.kind]
            raise argparse.ArgumentTypeError(f"{what}: {text}{hint}")
        if self.kind == "file" and not os.path.isfile(text):
            raise argparse.ArgumentTypeError(f"{text} is a folder, expected a file")
        if self.kind == "dir" and not os.path.isdir(text):
            raise argparse.ArgumentTypeError(f"{text} is a file, expected a folder")
        return text


def _first_existing_parent(path):
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    return parent


def OutDir(text):
    """A folder to write into: it may not exist yet; it must not be a file, nor be inside one."""
    if not text:
        raise argparse.ArgumentTypeError("must be a folder, got ''")
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a file, expected a folder to write into")
    parent = _first_existing_parent(text)
    if not os.path.isdir(parent):
        raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, not a folder")
    return text


OutDir.__name__ = "folder"


def OutFile(text):
    """A file to write: not a folder; its folder may not exist yet but must not be a file."""
    if not text or text.endswith(os.sep):
        raise argparse.ArgumentTypeError(f"must be a file name, got {text!r}")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder, expected a file to write")
    parent = _first_existing_parent(text)
    if not os.path.isdir(parent):
        raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, not a folder")
    return text


OutFile.__name__ = "file"


def Tokenizer(text):
    """'byte', or an existing merges file."""
    if text == "byte":
        return text
    return Path("file", hint="give 'byte' or a merges file written by `python -m pystory tokenizer train`")(text)


Tokenizer.__name__ = "tokenizer"


def given(parser, argv):
    """The dests of the options that appear in argv (as opposed to taking their default)."""
    words = [a.split("=", 1)[0] for a in argv if a.startswith("-")]
    return {a.dest for a in parser._actions if any(o in words for o in a.option_strings)}


# --- running a command ------------------------------------------------------------------------

def describe_os_error(e):
    """One line for an OSError: what failed, on which file, and what to do."""
    where = f" {e.filename}" if e.filename else ""
    if e.errno == errno.ENOSPC:
        return f"no space left on the disk writing{where}; free some space and run again (the previous file is intact)"
    if e.errno == errno.EDQUOT:
        return f"disk quota exceeded writing{where}; free some space and run again"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"not allowed to write{where} ({e.strerror}); choose a folder you can write to"
    if e.errno == errno.ENOENT:
        return f"no such file or folder:{where}"
    return f"{e.strerror or e}:{where}" if where else f"{e.strerror or e}"


def run(name, fn, argv):
    """Run command `fn(argv)`; return its exit code. User mistakes become one line on stderr."""
    from pystory.atomic import FolderLocked
    from pystory.c import BackendUnavailable
    try:
        return fn(argv) or 0
    except SystemExit as e:            # argparse: --help (0) or a bad argument (2, message printed)
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(" ".join(str(e.code).split()), file=sys.stderr)     # sys.exit("message")
        return 2
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except BrokenPipeError:            # the reader stopped reading (`... | head`): what it wanted, it has
        devnull = os.open(os.devnull, os.O_WRONLY)      # so the interpreter's last flush has somewhere to go
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (UserError, FolderLocked, BackendUnavailable, ValueError, OSError) as e:
        if os.environ.get("PYSTORY_TRACEBACK"):
            raise
        msg = describe_os_error(e) if isinstance(e, OSError) else str(e)
        print(f"{name}: {' '.join(msg.split())}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"{name}: out of memory; try smaller sizes (batch, model, corpus)", file=sys.stderr)
        return 2
