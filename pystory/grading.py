"""Homework grader: `make grade CH=00` (python -m pystory grade 00).

Each chapter's exercises/ folder holds stub files for the learner to fill in
(Python, C and CUDA) and a tasks.py that says, for each task, which stub file
to load, which function or kernel to take from it, how many points it is
worth, and a `check` function that runs the same agreement tests the course
itself uses.

How a stub is loaded:
  python  the file is imported and the named function is taken from it;
  c       the file is compiled with the C compiler into a shared library and
          opened with cffi (ABI mode) using the task's C declaration;
  cuda    the file is compiled by the CUDA emulator (no GPU needed), or with
          CuPy on a real GPU when --gpu is given.

Each task runs in its own subprocess with a time limit, so a crash (a
segfault in C), an endless loop or a barrier deadlock costs that task's
points and nothing else. `--reference` grades the course's own
implementations instead of the stubs: they must score full marks (the test
suite checks both ends).
"""
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIME_LIMIT = 120  # seconds per task


@dataclass
class Task:
    name: str            # what the learner sees
    lang: str            # "python" | "c" | "cuda"
    stub: str            # file in exercises/, e.g. "rowsum.py"
    symbol: str          # function (python, c) or kernel (cuda) to take from it
    reference: str       # the course's own file with the same symbol, from the repo root
    check: object        # check(impl) -> iterable of (case name, thunk raising on failure)
    points: int = 1
    cdecl: str = ""      # C declaration of `symbol` (lang == "c")
    hint: str = ""
    extra: dict = field(default_factory=dict)


# chapters the course will have but does not have yet (DESIGN.md's list)
PLANNED = {"04": "vae", "05": "gan", "07": "product", "08": "scaling"}


def chapter_dir(ch):
    matches = sorted(glob.glob(os.path.join(ROOT, "chapters", f"{ch}_*")))
    if not matches:
        ready = sorted(os.path.basename(d)[:2] for d in glob.glob(os.path.join(ROOT, "chapters", "[0-9][0-9]_*")))
        if ch in PLANNED:
            raise SystemExit(f"grade: chapter {ch} ({PLANNED[ch]}) is planned but not written yet; "
                             f"chapters with homework now: {', '.join(ready)}")
        raise SystemExit(f"grade: no chapter {ch!r}; the chapters are {', '.join(ready)} "
                         f"(and, planned, {', '.join(sorted(PLANNED))})")
    return matches[0]


def load_tasks(ch):
    path = os.path.join(chapter_dir(ch), "exercises", "tasks.py")
    if not os.path.exists(path):
        raise SystemExit(f"grade: chapter {ch} has no exercises yet ({os.path.relpath(path, ROOT)} missing)")
    spec = importlib.util.spec_from_file_location(f"pystory_exercises_{ch}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.TASKS


# --- loading one implementation ---------------------------------------------

def load_python(path, symbol):
    spec = importlib.util.spec_from_file_location("learner_" + os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, symbol)


class CLib:
    """A C function compiled from one file, callable with NumPy arrays via `ptr`."""

    def __init__(self, path, cdecl, symbol):
        from cffi import FFI
        from pystory.cbuild import find_compiler
        cc = find_compiler()
        if cc is None:
            raise RuntimeError("no C compiler found (install gcc or clang)")
        self._tmp = tempfile.mkdtemp(prefix="pystory-grade-")
        so = os.path.join(self._tmp, "impl.so")
        cmd = [cc, "-std=c11", "-O2", "-fopenmp", "-fPIC", "-shared",
               "-I", os.path.join(ROOT, "csrc"), path, "-o", so, "-lm"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{os.path.basename(path)} does not compile:\n{r.stderr.strip()}")
        self.ffi = FFI()
        self.ffi.cdef(cdecl)
        self.lib = self.ffi.dlopen(so)
        self.fn = getattr(self.lib, symbol)

    def ptr(self, a):
        from pystory.c import _CTYPES
        return self.ffi.from_buffer(_CTYPES[a.dtype.type], a)


def load_cuda(path, gpu):
    with open(path) as f:
        code = f.read()
    options = ("-I" + os.path.join(ROOT, "cuda"), "--std=c++17")
    if gpu:
        import cupy
        return cupy.RawModule(code=code, options=options)
    from pystory import emu
    return emu.RawModule(code=code, options=options)


def array_module(module):
    """numpy for an emulator module, cupy for a CuPy module: where a CUDA check puts its arrays."""
    if type(module).__module__.startswith("cupy"):
        import cupy
        return cupy
    import numpy
    return numpy


def load_impl(task, path, gpu=False):
    if task.lang == "python":
        return load_python(path, task.symbol)
    if task.lang == "c":
        return CLib(path, task.cdecl, task.symbol)
    if task.lang == "cuda":
        return load_cuda(path, gpu)
    raise ValueError(f"grade: unknown task language {task.lang!r}")


# --- running one task (in a subprocess) ---------------------------------------

def describe(e):
    if isinstance(e, NotImplementedError):
        return "not implemented yet"
    msg = str(e).strip() or type(e).__name__
    if not isinstance(e, (AssertionError, RuntimeError, ValueError, TypeError)):
        msg = f"{type(e).__name__}: {msg}"
    return msg.splitlines()[0] if len(msg) > 300 else msg


def run_task(task, path, gpu=False):
    """{"cases": [[name, ok, message], ...]} for one task."""
    try:
        impl = load_impl(task, path, gpu)
    except Exception as e:
        return {"cases": [["load " + os.path.basename(path), False, describe(e)]]}
    cases = []
    try:
        for name, thunk in task.check(impl):
            try:
                thunk()
                cases.append([name, True, ""])
            except Exception as e:
                cases.append([name, False, describe(e)])
    except Exception as e:
        cases.append(["check", False, describe(e) + "\n" + traceback.format_exc(limit=2)])
    return {"cases": cases}


def run_isolated(ch, index, path, gpu):
    """Run task `index` in a fresh Python; a crash or a hang is a failed case."""
    cmd = [sys.executable, "-m", "pystory.grading", "--run-one", ch, str(index), path]
    if gpu:
        cmd.append("--gpu")
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        return {"cases": [["run", False, f"did not finish in {TIME_LIMIT} s (an endless loop?)"]]}
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        why = f"crashed (exit code {r.returncode})" if r.returncode else "printed no result"
        if r.returncode < 0:
            why = f"crashed with signal {-r.returncode} (e.g. a segmentation fault: reading or writing out of bounds?)"
        tail = r.stderr.strip().splitlines()[-3:]
        return {"cases": [["run", False, why + ("\n      " + "\n      ".join(tail) if tail else "")]]}
    return json.loads(lines[-1])


def grade(ch, reference=False, gpu=False, workdir=None, out=sys.stdout):
    """Grade every task of chapter `ch`; return (score, total, results)."""
    tasks = load_tasks(ch)
    exdir = workdir or os.path.join(chapter_dir(ch), "exercises")
    who = "the course's reference code" if reference else os.path.relpath(exdir, os.getcwd())
    print(f"Chapter {ch} homework — grading {who}", file=out)
    score = total = 0.0
    results = []
    for i, task in enumerate(tasks):
        path = os.path.join(ROOT, task.reference) if reference else os.path.join(exdir, task.stub)
        res = run_isolated(ch, i, path, gpu)
        cases = res["cases"]
        passed = sum(1 for _, ok, _ in cases if ok)
        pts = task.points * passed / max(len(cases), 1)
        score += pts
        total += task.points
        results.append({"task": task.name, "points": pts, "of": task.points, "cases": cases})
        print(f"  [{task.lang:<6}] {task.name:<40} {pts:g}/{task.points}", file=out)
        for name, ok, msg in cases:
            if not ok:
                print(f"      - {name}: {msg}", file=out)
        if passed < len(cases) and task.hint and not reference:
            print(f"      hint: {task.hint}", file=out)
    print(f"score: {score:g}/{total:g}", file=out)
    return score, total, results


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    from pystory.cli_args import Parser     # one-line errors, exit code 2, like every command
    p = Parser("python -m pystory grade", description="Grade a chapter's homework.")
    p.add_argument("chapter", help="chapter number, e.g. 00")
    p.add_argument("--reference", action="store_true", help="grade the course's own implementations")
    p.add_argument("--gpu", action="store_true", help="run CUDA tasks on a real GPU with CuPy instead of the emulator")
    p.add_argument("--dir", help="grade the stubs in this folder instead of chapters/NN_*/exercises")
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args(argv)
    ch = a.chapter.zfill(2)
    score, total, results = grade(ch, reference=a.reference, gpu=a.gpu, workdir=a.dir)
    if a.json:
        from pystory.atomic import write_text_atomic
        write_text_atomic(a.json, json.dumps({"chapter": ch, "score": score, "total": total, "tasks": results},
                                             indent=1))
    return 0


def _run_one(argv):
    ch, index, path = argv[0], int(argv[1]), argv[2]
    task = load_tasks(ch)[index]
    print(json.dumps(run_task(task, path, gpu="--gpu" in argv)))
    # Leave at once: a learner's OpenMP library may still have worker threads
    # that would crash while Python unloads it, after the result is printed.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run-one"]:
        _run_one(sys.argv[2:])
    else:
        sys.exit(main())
