"""The Makefile a learner drives everything with: `make help` lists every target, `make bench` runs
every benchmark file (bench_ops.py included), and there is a LICENSE to point to."""
import glob
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_make = pytest.mark.skipif(shutil.which("make") is None or not os.path.exists(os.path.join(ROOT, ".venv")),
                                reason="needs make and the .venv that make creates")


def phony_targets():
    text = open(os.path.join(ROOT, "Makefile")).read()
    return re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split()


@needs_make
def test_make_help_lists_every_target():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    listed = {line.split()[1] for line in out.splitlines() if line.startswith("make ")}
    assert set(phony_targets()) - {"help"} <= listed
    assert "train" in listed


@needs_make
def test_make_bench_runs_every_benchmark_file():
    r = subprocess.run(["make", "-s", "bench", "ARGS=--help"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    ran = re.findall(r"^== (\S+)$", r.stdout, re.M)
    expected = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "chapters", "*", "bench*.py")))
    assert sorted(ran) == expected and "chapters/06_transformer/bench_ops.py" in ran


def test_the_license_is_the_mit_license_pyproject_names():
    text = open(os.path.join(ROOT, "LICENSE")).read()
    assert text.startswith("MIT License") and "the pystory authors" in text
    assert 'license = "MIT"' in open(os.path.join(ROOT, "pyproject.toml")).read()
