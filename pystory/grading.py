"""Homework grader: `make grade CH=00` (python -m pystory grade 00).

Each chapter's exercises/ folder holds stub files for the learner to fill in
(Python, C and CUDA) and a tasks.py that says, for each task, which stub
file to load, which function or kernel to take from it, how many points it
is worth, and its cases: what to run (the same agreement tests the course
itself uses) and what the right answer is.

Who decides. The learner's code runs in a separate process (one per task),
which only *runs* each case and hands back its outputs (arrays, in .npz
files). This process, where no learner code runs, computes the expected
answers itself and compares: nothing the task's code prints or writes can
make a case pass except outputs that agree. A case whose outputs never
arrive (the process crashed, hung or exited) fails, and the process is
started again at the next case, so one broken case or task never stops the
others.

How a stub is loaded:
  python  imported in the task's process, the named function taken from it;
  c       compiled here with AddressSanitizer and UBSan (when the compiler
          has them) and opened with cffi (ABI mode) with the task's C
          declaration: an index past an array fails with the line;
  cuda    compiled here for the CUDA emulator in checked mode (no GPU
          needed): out-of-bounds accesses, shared-memory races,
          uninitialised reads and bad barriers fail with the line; or with
          CuPy on a real GPU when --gpu is given.
Compile errors are shown whole (capped), with file and line.

`--reference` grades the course's own implementations instead of the
stubs: they must score full marks (the test suite checks both ends).
"""
import glob
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE_LIMIT = 60        # seconds one case may run
TASK_LIMIT = 240       # seconds all the cases of one task may run
KERNEL_LIMIT = "20"    # PYSTORY_EMU_TIMEOUT in the task's process: a kernel past it fails its case
MESSAGE_LINES, MESSAGE_CHARS = 40, 4000   # how much of a compiler's or a case's message is shown


@dataclass
class Case:
    """One check of a task.

    run(impl) -> {name: array or number}: runs the learner's code (in the
        task's own process) and returns what it produced;
    expected() -> {name: array or number}: the right answers (computed by
        the grader, never in the task's process);
    rtol, atol: tolerances for floats (default: by dtype, pystory.testing);
    same_dtype: the outputs must also have the expected dtypes;
    verify(outputs, expected): a custom comparison raising AssertionError.
    """
    name: str
    run: object
    expected: object
    rtol: float = None
    atol: float = None
    same_dtype: bool = False
    verify: object = None


@dataclass
class Task:
    name: str            # what the learner sees
    lang: str            # "python" | "c" | "cuda"
    stub: str            # file in exercises/, e.g. "rowsum.py"
    symbol: str          # function (python, c) or kernel (cuda) to take from it
    reference: str       # the course's own file with the same symbol, from the repo root
    cases: object        # cases() -> list of Case
    points: int = 1
    cdecl: str = ""      # C declaration of `symbol` (lang == "c")
    hint: str = ""
    extra: dict = field(default_factory=dict)


# chapters the course will have but does not have yet (DESIGN.md's list; every one of 00-08 is written now,
# the table stays for the next chapter filed: `grade NN` then says "planned" instead of "no chapter")
PLANNED = {}


def chapter_dir(ch):
    matches = sorted(glob.glob(os.path.join(ROOT, "chapters", f"{ch}_*")))
    if not matches:
        ready = sorted(os.path.basename(d)[:2] for d in glob.glob(os.path.join(ROOT, "chapters", "[0-9][0-9]_*")))
        if ch in PLANNED:
            raise SystemExit(f"grade: chapter {ch} ({PLANNED[ch]}) is planned but not written yet; "
                             f"chapters with homework now: {', '.join(ready)}")
        planned = f" (and, planned, {', '.join(sorted(PLANNED))})" if PLANNED else ""
        raise SystemExit(f"grade: no chapter {ch!r}; the chapters are {', '.join(ready)}{planned}")
    return matches[0]


def load_tasks(ch):
    path = os.path.join(chapter_dir(ch), "exercises", "tasks.py")
    if not os.path.exists(path):
        raise SystemExit(f"grade: chapter {ch} has no exercises yet ({os.path.relpath(path, ROOT)} missing)")
    spec = importlib.util.spec_from_file_location(f"pystory_exercises_{ch}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.TASKS


def points_text(x):
    """2.142857 -> '2.14', 3.0 -> '3'."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def cap(text, lines=MESSAGE_LINES, chars=MESSAGE_CHARS):
    """A message, shortened to something readable, saying what was left out."""
    text = text.strip()
    rows = text.splitlines()
    cut = len(rows) > lines or len(text) > chars
    if cut:
        rows = rows[:lines]
        while rows and len("\n".join(rows)) > chars:
            rows.pop()
        text = "\n".join(rows) + f"\n... ({len(text.splitlines()) - len(rows)} more lines)"
    return text


# --- helpers for tasks.py ---------------------------------------------------------

def array_module(module):
    """numpy for an emulator module, cupy for a CuPy module: where a CUDA check puts its arrays."""
    if type(module).__module__.startswith("cupy"):
        import cupy
        return cupy
    return np


class emu_schedule:
    """`with emu_schedule(module, "reverse"):` — a schedule for the emulator; nothing on a GPU."""

    def __init__(self, module, name):
        self.module, self.name, self.ctx = module, name, None

    def __enter__(self):
        if array_module(self.module) is np:
            from pystory import emu
            self.ctx = emu.schedule(self.name)
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


# --- building (here, before any learner code runs) ----------------------------------

def c_compiler():
    from pystory.cbuild import find_compiler
    return find_compiler()


def sanitizer_runtime(cc):
    """The AddressSanitizer runtime to preload into the task's process, or None."""
    try:
        out = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True,
                             timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out if os.path.isabs(out) and os.path.exists(out) else None


def readable_compiler_output(text, path):
    """The compiler's message with the stub's path shortened to its file name."""
    folder = os.path.dirname(os.path.abspath(path)) + os.sep
    return cap(text.replace(folder, ""))


def build_c(path, workdir):
    """Compile a C stub to a shared library. Returns (library, preload or None, note)."""
    cc = c_compiler()
    if cc is None:
        raise BuildError("no C compiler found (install gcc or clang)")
    so = os.path.join(workdir, "impl.so")
    base = [cc, "-std=c11", "-fopenmp", "-fPIC", "-shared", "-I", os.path.join(ROOT, "csrc"), path, "-o", so, "-lm"]
    asan = sanitizer_runtime(cc)
    note = ""
    if asan:
        r = subprocess.run(base[:1] + ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                                       "-fno-sanitize-recover=undefined"] + base[1:], capture_output=True, text=True)
        if r.returncode != 0 and "sanitize" in r.stderr:
            asan = None  # the sanitizers themselves are what failed: build without them
    if not asan:
        note = "(built without AddressSanitizer: out-of-bounds accesses may go unnoticed)"
        r = subprocess.run(base[:1] + ["-O2", "-g"] + base[1:], capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(f"{os.path.basename(path)} does not compile:\n" + readable_compiler_output(r.stderr, path))
    return so, asan, note


def build_cuda(path):
    """Compile a CUDA stub for the emulator in checked mode (cached). Only
    compiles: loading the library would run its static constructors here."""
    from pystory import emu
    try:
        with open(path) as f:
            emu.build(f.read(), os.path.abspath(path), cuda_options(), path, checked=True)
    except emu.EmuCompileError as e:
        msg = str(e).replace(f"emu: compiling {os.path.abspath(path)} failed:",
                             f"{os.path.basename(path)} does not compile:")
        raise BuildError(readable_compiler_output(msg, path)) from None


def cuda_options():
    return ("-I" + os.path.join(ROOT, "cuda"), "--std=c++17")


class BuildError(Exception):
    pass


# --- loading one implementation (in the task's process) -------------------------------

def load_python(path, symbol):
    spec = importlib.util.spec_from_file_location("learner_" + os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not hasattr(mod, symbol):
        raise AttributeError(f"{os.path.basename(path)} has no function named {symbol!r}")
    return getattr(mod, symbol)


class CLib:
    """A C function from a compiled stub, callable with NumPy arrays via `ptr`."""

    def __init__(self, so, cdecl, symbol):
        from cffi import FFI
        self.ffi = FFI()
        self.ffi.cdef(cdecl)
        self.lib = self.ffi.dlopen(so)
        self.fn = getattr(self.lib, symbol)

    def ptr(self, a):
        from pystory.c import _CTYPES
        return self.ffi.from_buffer(_CTYPES[a.dtype.type], a)


def load_cuda(path, gpu):
    if gpu:
        import cupy
        with open(path) as f:
            return cupy.RawModule(code=f.read(), options=cuda_options())
    from pystory import emu
    return emu.RawModule(path=path, options=cuda_options(), check=True)


def load_impl(task, path, built, gpu):
    if task.lang == "python":
        return load_python(path, task.symbol)
    if task.lang == "c":
        return CLib(built, task.cdecl, task.symbol)
    if task.lang == "cuda":
        return load_cuda(path, gpu)
    raise ValueError(f"grade: unknown task language {task.lang!r}")


def describe(e):
    """What a failed case says: the exception's message, readable and capped."""
    if isinstance(e, NotImplementedError):
        return "not implemented yet"
    msg = str(e).strip() or type(e).__name__
    if not isinstance(e, (AssertionError, RuntimeError, ValueError, TypeError)):
        msg = f"{type(e).__name__}: {msg}"
    return cap(msg)


def where_in(e, path):
    """' (at rowsum.py:12)': the last line of the learner's file in a Python traceback, or ''."""
    import traceback
    frames = [f for f in traceback.extract_tb(e.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(path)]
    if not frames or isinstance(e, NotImplementedError):
        return ""
    return f" (at {os.path.basename(path)}:{frames[-1].lineno})"


def to_outputs(result):
    """A case's result -> {name: numeric ndarray}; anything else is the learner's error."""
    if not isinstance(result, dict):
        raise TypeError(f"internal: a case must return a dict of outputs, got {type(result).__name__}")
    out = {}
    for k, v in result.items():
        v = v.get() if hasattr(v, "get") and not isinstance(v, np.ndarray) else v
        try:
            a = np.asarray(v)
        except Exception:
            a = np.asarray(None)
        if a.dtype.hasobject or a.dtype.kind not in "biufc":
            raise TypeError(f"{k}: expected an array of numbers, got {type(v).__name__} {v!r:.80}")
        out[k] = np.array(a, order="C")  # (ascontiguousarray would make a 0-d result 1-d)
    return out


def _write_atomic(path, data):
    """Write bytes or text to path under a temporary name, then rename: the
    grader sees a whole file or none."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        if isinstance(data, str):
            data = data.encode()
        if isinstance(data, bytes):
            f.write(data)
        else:
            np.savez(f, **data)
    os.replace(tmp, path)


def _run_cases(ch, index, path, built, outdir, start, gpu):
    """The task's process: run cases start.. and leave their outputs in outdir."""
    task = load_tasks(ch)[index]
    cases = task.cases()
    try:
        impl = load_impl(task, path, built, gpu)
    except Exception as e:
        _write_atomic(os.path.join(outdir, "load.err"), describe(e) + where_in(e, path))
        return
    for i in range(start, len(cases)):
        with open(os.path.join(outdir, f"case-{i}.start"), "w"):
            pass
        try:
            outputs = to_outputs(cases[i].run(impl))
        except Exception as e:
            _write_atomic(os.path.join(outdir, f"case-{i}.err"), describe(e) + where_in(e, path))
            continue
        _write_atomic(os.path.join(outdir, f"case-{i}.npz"), outputs)


# --- judging (here) --------------------------------------------------------------------

def verify(case, outputs):
    """Raise AssertionError unless the outputs agree with the expected answers."""
    from pystory.testing import assert_agree
    expected = {k: np.asarray(v) for k, v in case.expected().items()}
    if case.verify is not None:
        case.verify(outputs, expected)
        return
    for k, e in expected.items():
        if k not in outputs:
            raise AssertionError(f"{k}: no output")
        a = outputs[k]
        if case.same_dtype and a.dtype != e.dtype:
            raise AssertionError(f"{k}: dtype {a.dtype}, expected {e.dtype}")
        assert_agree(a, e, rtol=case.rtol, atol=case.atol, name=k)


def read_outputs(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def sanitizer_report(stderr):
    """A readable line from an AddressSanitizer / UBSan report, or ''."""
    m = re.search(r"ERROR: AddressSanitizer: ([\w-]+)", stderr)
    if m:
        kind = m.group(1)
        acc = re.search(r"\b(READ|WRITE) of size (\d+)", stderr)
        frame = re.search(r"#\d+ 0x[0-9a-f]+ in (\S+) (\S+?):(\d+)", stderr)
        where = re.search(r"is located (\d+) bytes (to the right|to the left|after|before|inside)(?: of)? "
                          r"(\d+)-byte region", stderr)
        text = f"AddressSanitizer: {kind}"
        if acc:
            text += f": a {acc.group(1).lower()} of {acc.group(2)} bytes"
        elif kind == "SEGV":
            cause = re.search(r"caused by a (READ|WRITE) memory access", stderr)
            text += f": a {cause.group(1).lower()}" if cause else ""
            text += " through a NULL pointer" if "zero page" in stderr else " at an invalid address"
        if frame:
            func = frame.group(1).split("._omp_fn")[0]
            text += f" in {func} at {os.path.basename(frame.group(2))}:{frame.group(3)}"
        if where:
            side = {"to the right": "past the end of", "after": "past the end of",
                    "to the left": "before the start of", "before": "before the start of"}.get(where.group(2),
                                                                                               "inside")
            text += f", {where.group(1)} bytes {side} a {where.group(3)}-byte array (an index out of bounds?)"
        return text
    m = re.search(r"(\S+?):(\d+):\d+: runtime error: (.*)", stderr)
    if m:
        return f"UndefinedBehaviorSanitizer at {os.path.basename(m.group(1))}:{m.group(2)}: {m.group(3).strip()}"
    return ""


def crash_reason(rc, stderr, timed_out, loading=False):
    if timed_out:
        return f"did not finish in {CASE_LIMIT} s (an endless loop?)"
    if loading and rc == 0:
        return "the process ended while loading your code, before any case ran (does your code call exit()?)"
    report = sanitizer_report(stderr)
    if report:
        return report
    if rc is not None and rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
        why = " (reading or writing out of bounds?)" if name in ("SIGSEGV", "SIGBUS") else ""
        return f"crashed with {name}{why}"
    if rc == 0:
        return "the process ended before this case finished (does your code call exit()?)"
    tail = [ln for ln in stderr.strip().splitlines() if ln.strip()][-3:]
    return f"the process exited with code {rc} before this case finished" + (
        ":\n      " + "\n      ".join(tail) if tail else "")


def _tail(path, n=64 * 1024):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - n))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def run_task(ch, index, task, path, gpu=False):
    """[[case name, ok, message], ...] for one task, judged here."""
    if not os.path.exists(path):
        return [[f"load {os.path.basename(path)}", False,
                 f"missing: there is no {os.path.basename(path)} in {os.path.dirname(path) or '.'}"]]
    cases = task.cases()
    workdir = tempfile.mkdtemp(prefix="pystory-grade-")
    try:
        built, preload, note = None, None, ""
        try:
            if task.lang == "c":
                built, preload, note = build_c(path, workdir)
            elif task.lang == "cuda" and not gpu:
                build_cuda(path)
        except BuildError as e:
            return [[f"compile {os.path.basename(path)}", False, str(e)]]
        results = [None] * len(cases)
        start, attempt, t_task = 0, 0, time.monotonic()
        while start < len(cases):
            outdir = os.path.join(workdir, f"run{attempt}")
            os.mkdir(outdir)
            rc, timed_out, stderr = _spawn(ch, index, path, built, outdir, start, gpu, preload)
            attempt += 1
            if os.path.exists(os.path.join(outdir, "load.err")):
                with open(os.path.join(outdir, "load.err"), errors="replace") as f:
                    return [[f"load {os.path.basename(path)}", False, cap(f.read())]]
            stopped_at = None
            for i in range(start, len(cases)):
                npz, err = os.path.join(outdir, f"case-{i}.npz"), os.path.join(outdir, f"case-{i}.err")
                if os.path.exists(npz):
                    try:
                        verify(cases[i], read_outputs(npz))
                        results[i] = [cases[i].name, True, ""]
                    except Exception as e:
                        results[i] = [cases[i].name, False, describe(e)]
                elif os.path.exists(err):
                    with open(err, errors="replace") as f:
                        results[i] = [cases[i].name, False, cap(f.read())]
                else:
                    stopped_at = i
                    break
            if stopped_at is None:
                break
            loading = not os.path.exists(os.path.join(outdir, f"case-{stopped_at}.start"))
            reason = crash_reason(rc, stderr, timed_out, loading)
            if loading:  # it ended while loading your code, before any case: it would again
                return [[f"load {os.path.basename(path)}", False, reason]]
            results[stopped_at] = [cases[stopped_at].name, False, reason]
            start = stopped_at + 1
            if time.monotonic() - t_task > TASK_LIMIT:
                for i in range(start, len(cases)):
                    results[i] = [cases[i].name, False, f"not run: the task used up its {TASK_LIMIT} s"]
                break
        if note:
            results.append(["(note)", True, note])
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _spawn(ch, index, path, built, outdir, start, gpu, preload):
    """Run the task's process until it ends or a case runs past CASE_LIMIT."""
    cmd = [sys.executable, "-m", "pystory.grading", "--run-one", ch, str(index), path, built or "-", outdir,
           str(start)] + (["--gpu"] if gpu else [])
    env = dict(os.environ)
    env.setdefault("PYSTORY_EMU_TIMEOUT", KERNEL_LIMIT)
    if preload:
        env["LD_PRELOAD"] = preload + (" " + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
        env["ASAN_OPTIONS"] = "detect_leaks=0:halt_on_error=1:print_legend=0:allocator_may_return_null=1"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    out_path, err_path = os.path.join(outdir, "stdout.txt"), os.path.join(outdir, "stderr.txt")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=outdir,
                             start_new_session=True)
        timed_out = False
        seen, since = 0, time.monotonic()
        try:
            while p.poll() is None:
                time.sleep(0.05)
                started = len(glob.glob(os.path.join(outdir, "case-*.start")))
                if started != seen:  # a new case began: its own CASE_LIMIT starts now
                    seen, since = started, time.monotonic()
                if time.monotonic() - since > CASE_LIMIT:
                    timed_out = True
                    break
        finally:
            if p.poll() is None:  # past the limit, or we are interrupted (Ctrl-C): never leave it running
                _kill(p)
            p.wait()
    return p.returncode, timed_out, _tail(err_path)


def _kill(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)  # its whole session: threads, and anything it started
    except OSError:
        p.kill()


def grade(ch, reference=False, gpu=False, workdir=None, out=sys.stdout, only=None):
    """Grade every task of chapter `ch` (or the task numbers in `only`,
    counting from 1); return (score, total, results)."""
    tasks = load_tasks(ch)
    if only:
        bad = [n for n in only if not 1 <= n <= len(tasks)]
        if bad:
            raise SystemExit(f"grade: chapter {ch} has tasks 1 to {len(tasks)}, not {bad[0]}")
    exdir = workdir or os.path.join(chapter_dir(ch), "exercises")
    rel = os.path.relpath(exdir, os.getcwd())
    who = "the course's reference code" if reference else (exdir if rel.startswith("..") else rel)
    print(f"Chapter {ch} homework — grading {who}", file=out)
    score = total = 0.0
    results = []
    for i, task in enumerate(tasks):
        if only and i + 1 not in only:
            continue
        path = os.path.join(ROOT, task.reference) if reference else os.path.join(exdir, task.stub)
        try:
            cases = run_task(ch, i, task, path, gpu)
        except Exception as e:  # a broken task (or a bug of ours) costs this task, never the others
            cases = [["grade", False, f"the grader failed on this task: {type(e).__name__}: {e}"]]
        graded = [c for c in cases if c[0] != "(note)"]
        passed = sum(1 for _, ok, _ in graded if ok)
        pts = round(task.points * passed / max(len(graded), 1), 2)
        score += pts
        total += task.points
        results.append({"task": task.name, "points": pts, "of": task.points, "cases": cases})
        print(f"  [{task.lang:<6}] {task.name:<40} {points_text(pts)}/{task.points}", file=out)
        for name, ok, msg in cases:
            if not ok:
                print(f"      - {name}: " + msg.replace("\n", "\n        "), file=out)
            elif name == "(note)":
                print(f"      {msg}", file=out)
        if passed < len(graded) and task.hint and not reference:
            print(f"      hint: {task.hint}", file=out)
    score = round(score, 2)
    print(f"score: {points_text(score)}/{points_text(total)}", file=out)
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
    p.add_argument("--task", type=int, action="append", help="grade only task N (counting from 1; repeatable)")
    a = p.parse_args(argv)
    ch = a.chapter.zfill(2)
    if a.dir and not os.path.isdir(a.dir):
        print(f"grade: --dir {a.dir}: no such folder", file=sys.stderr)
        return 2
    try:
        score, total, results = grade(ch, reference=a.reference, gpu=a.gpu, workdir=a.dir, only=a.task)
    except SystemExit as e:  # a user's mistake (no such chapter or task): one line, exit code 2
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            return 2
        raise
    if a.json:
        from pystory.atomic import write_text_atomic
        write_text_atomic(a.json, json.dumps({"chapter": ch, "score": score, "total": total, "tasks": results},
                                             indent=1))
    return 0


def _run_one(argv):
    ch, index, path, built, outdir, start = argv[0], int(argv[1]), argv[2], argv[3], argv[4], int(argv[5])
    _run_cases(ch, index, path, None if built == "-" else built, outdir, start, gpu="--gpu" in argv)
    # Leave at once: a learner's OpenMP library may still have worker threads
    # that would crash while Python unloads it, after the outputs are written.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run-one"]:
        _run_one(sys.argv[2:])
    else:
        sys.exit(main())
