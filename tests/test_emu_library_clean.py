"""The library's own kernels are clean: every kernel of cuda/*.cu runs under
all four checks of the emulator's checked mode (memcheck, racecheck,
initcheck, synccheck) without a finding.

How: the agreement tests of every layer (tests/test_<layer>.py for each
layer of pystory.backend.LAYERS), emu cases only, run again in a fresh
Python with PYSTORY_EMU_CHECK=all — so every op of the emu backend launches
its kernels in checked mode, with what the bindings allocate with empty()
tracked for initcheck — and PYSTORY_EMU_RECORD lists the kernels launched.
Every kernel found in cuda/*.cu must be on that list."""
import glob
import os
import subprocess
import sys
from pathlib import Path

from pystory.backend import LAYERS
from pystory.emu.source import blank, find_kernels

ROOT = Path(__file__).resolve().parents[1]


def library_kernels():
    names = set()
    for path in sorted(glob.glob(str(ROOT / "cuda" / "*.cu"))):
        with open(path) as f:
            src = f.read()
        names |= {k.name for k in find_kernels(blank(src), blank(src, strings=False), path)}
    return names


def test_every_library_kernel_passes_every_check(tmp_path):
    record = tmp_path / "launched.txt"
    files = [str(ROOT / "tests" / f"test_{layer}.py") for layer in LAYERS
             if (ROOT / "tests" / f"test_{layer}.py").exists()]
    env = dict(os.environ, PYSTORY_EMU_CHECK="all", PYSTORY_EMU_RECORD=str(record))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:xdist",
                        "-k", "emu", *files], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, "a library kernel failed in checked mode:\n" + r.stdout[-6000:] + r.stderr[-2000:]
    launched = set(record.read_text().split())
    missing = sorted(library_kernels() - launched)
    assert not missing, (f"these kernels of cuda/*.cu were never launched by the emu agreement tests, so they "
                         f"were not checked: {missing}")
