"""Running a demo or a benchmark leaves the learner's tree as it was: they write to build/figures/
(untracked); only --refresh-figures writes the committed figures the lessons show."""
import glob
import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from pystory.bench import output_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMOS = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "chapters", "*", "demo.py")))
BENCHES = {                       # each benchmark with its smallest sizes
    "chapters/00_setup/bench.py": ["--quick"],
    "chapters/01_tokenizer/bench.py": ["--stories", "300", "--vocabs", "300", "--repeat", "1",
                                       "--numpy-bytes", "2000"],
    "chapters/02_embeddings/bench.py": ["--quick"],
    "chapters/03_attention/bench.py": ["--quick", "--T", "64", "--repeat", "1"],
    "chapters/04_vae/bench.py": ["--small", "--rounds", "1", "--vae-steps", "1"],
    "chapters/05_gan/bench.py": ["--quick", "--rounds", "1"],
    "chapters/06_transformer/bench.py": ["--small", "--steps", "1", "--decode", "10"],
    "chapters/06_transformer/bench_ops.py": ["--quick"],
    "chapters/07_product/bench.py": ["--quick", "--repeats", "1"],
    "chapters/08_scaling/bench.py": ["--quick", "--repeat", "1", "--steps", "1"],
}

# other scripts that write a chapter's tables, at their smallest, with the packages they need
# (chapter 07's experiments.py needs data/storyworld and minutes of training: it is run by hand)
SCRIPTS = {
    "chapters/06_transformer/ablation.py": (["--quick", "--runs", "build/ablation-quick"], []),
    "chapters/07_product/loadtest.py": (["--clients", "1", "--requests", "2", "--max-tokens", "3"],
                                        ["starlette", "uvicorn", "httpx"]),
}


def tree_state():
    """`git status --porcelain` and the bytes of every committed figure and table."""
    if shutil.which("git") is None or not os.path.isdir(os.path.join(ROOT, ".git")) and \
            not os.path.isfile(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    figures = {p: hashlib.sha256(open(p, "rb").read()).hexdigest()
               for p in glob.glob(os.path.join(ROOT, "chapters", "*", "figures", "**", "*"), recursive=True)
               if os.path.isfile(p)}
    return status, figures


def run_leaves_tree_clean(script, args):
    before = tree_state()
    r = subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert tree_state() == before
    assert "build/figures/" in r.stdout, r.stdout[-2000:]


def test_every_chapter_has_a_demo_and_every_benchmark_is_listed():
    assert len(DEMOS) >= 5
    assert sorted(BENCHES) == sorted(os.path.relpath(p, ROOT) for p in
                                     glob.glob(os.path.join(ROOT, "chapters", "*", "bench*.py")))


@pytest.mark.parametrize("demo", DEMOS)
def test_a_demo_in_quick_mode_leaves_the_tree_clean(demo):
    run_leaves_tree_clean(demo, ["--quick"])


@pytest.mark.slow
@pytest.mark.parametrize("bench", sorted(BENCHES))
def test_a_benchmark_at_its_smallest_leaves_the_tree_clean(bench):
    run_leaves_tree_clean(bench, BENCHES[bench])


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_a_chapter_script_at_its_smallest_leaves_the_tree_clean(script):
    args, needs = SCRIPTS[script]
    for module in needs:
        pytest.importorskip(module, reason=f"{module} is not installed (make setup installs it)")
    run_leaves_tree_clean(script, args)


def test_refresh_writes_the_committed_figures_and_the_default_does_not():
    chapter = os.path.join(ROOT, "chapters", "00_setup")
    assert output_dir(chapter, refresh=True) == os.path.join(chapter, "figures")
    assert output_dir(chapter) == os.path.join(ROOT, "build", "figures", "00_setup")
