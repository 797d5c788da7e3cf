"""Argument checks shared by chapter 07's commands (quantize, finetune, distill, serve).

One-line errors that name the option and say what is expected, exit code 2,
never a traceback. (The hardening issue brings one validation layer for every
command, pystory/cli_args.py; these few types move there when it lands.)
"""
import argparse
import math
import os
import sys

__all__ = ["Parser", "existing_file", "int_in", "float_in", "fail"]


class Parser(argparse.ArgumentParser):
    def __init__(self, prog, **kw):
        kw.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        kw.setdefault("allow_abbrev", False)
        super().__init__(prog=prog, **kw)

    def error(self, message):
        cmd = self.prog.replace("python -m pystory ", "", 1)
        self.exit(2, f"{cmd}: {message} (see {self.prog} --help)\n")


def existing_file(text):
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    return text


def int_in(lo, hi):
    def parse(text):
        try:
            v = int(text, 10)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer in [{lo}, {hi}], got {text!r}")
        return v
    parse.__name__ = "integer"
    return parse


def float_in(lo, hi, lo_open=False):
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            v = math.nan
        ok = math.isfinite(v) and (v > lo if lo_open else v >= lo) and v <= hi
        if not ok:
            raise argparse.ArgumentTypeError(f"must be a finite number in {'(' if lo_open else '['}{lo}, {hi}], "
                                             f"got {text!r}")
        return v
    parse.__name__ = "number"
    return parse


def fail(cmd, error):
    """Print `cmd: error` as one line to stderr; the exit code for a user's mistake."""
    print(f"{cmd}: {error}", file=sys.stderr)
    return 2
