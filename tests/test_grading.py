"""The homework grader itself: untouched stubs score 0 without crashing, the
course's reference code scores full marks, real bugs fail with a readable
report (the sanitizers' line), and nothing a learner's code prints, writes
or does to its own process can forge a score."""
import glob
import io
import os
import re
import shutil
import textwrap

import pytest

from pystory import grading
from pystory.emu.source import blank, matching
from pystory.grading import ROOT, grade, load_tasks, points_text

CHAPTERS = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))[:2]
                  for p in glob.glob(os.path.join(ROOT, "chapters", "*", "exercises", "tasks.py")))


def stubs(tmp_path, ch, **files):
    """A copy of chapter ch's stubs in tmp_path, with some files replaced."""
    exdir = os.path.join(grading.chapter_dir(ch), "exercises")
    for f in os.listdir(exdir):
        if f.endswith((".py", ".c", ".cu")):
            shutil.copy(os.path.join(exdir, f), tmp_path / f)
    for name, text in files.items():
        path = tmp_path / name.replace("_dot_", ".")
        if text is None:
            path.unlink()
        else:
            path.write_text(textwrap.dedent(text))
    return str(tmp_path)


def one_kernel(path, name):
    """The helpers of a .cu file (everything before its first kernel) and one
    kernel: a small file for the grader to compile."""
    src = open(os.path.join(ROOT, path)).read()
    code = blank(src)
    first = re.search(r'extern\s+"C"\s+__global__', blank(src, strings=False)).start()
    m = re.search(rf"\b{name}\s*\(", code)
    start = code.rfind("extern", 0, m.start())
    brace = code.index("{", m.end())
    return src[:first] + src[start:matching(code, brace, "{", "}") + 1] + "\n"


def grade_task(ch, task, workdir):
    """Grade one task (numbered from 1); (points, its cases, the printed report)."""
    out = io.StringIO()
    _, _, results = grade(ch, workdir=workdir, out=out, only=[task])
    return results[0]["points"], results[0]["cases"], out.getvalue()


def test_chapter_00_has_exercises():
    assert "00" in CHAPTERS


@pytest.mark.parametrize("ch", CHAPTERS)
def test_untouched_stubs_score_zero(ch):
    out = io.StringIO()
    score, total, results = grade(ch, out=out)
    assert total > 0
    assert score == 0, out.getvalue()
    assert f"score: 0/{total:g}" in out.getvalue()


@pytest.mark.parametrize("ch", CHAPTERS)
def test_reference_solutions_score_full_marks(ch):
    out = io.StringIO()
    score, total, _ = grade(ch, reference=True, out=out)
    assert score == total, out.getvalue()


# --- real bugs get a readable report ---------------------------------------------
AXPY_OFF_BY_ONE = """\
    void axpy(float* out, float a, const float* x, const float* y, int n) {
        #pragma omp parallel for
        for (int i = 0; i <= n; i++) out[i] = a * x[i] + y[i];
    }
    """


def test_an_off_by_one_c_loop_fails_with_the_sanitizer_report_and_line(tmp_path):
    if grading.sanitizer_runtime(grading.c_compiler()) is None:
        pytest.skip("this C compiler has no AddressSanitizer")
    pts, cases, report = grade_task("00", 2, stubs(tmp_path, "00", axpy_dot_c=AXPY_OFF_BY_ONE))
    assert pts == 0
    assert all("AddressSanitizer: heap-buffer-overflow" in msg and "in axpy at axpy.c:3" in msg
               for _, ok, msg in cases), report
    assert "0 bytes past the end of a 28-byte array" in report


def test_a_warp_kernel_without_its_row_guard_fails_with_the_memcheck_line(tmp_path):
    kernel = """\
        extern "C" __global__ void rowsum_warp_kernel(float* out, const float* x, int R, int C) {
            int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
            int r = blockIdx.x * (blockDim.x / 32) + warp;
            const float* row = x + (long long)r * C;
            float sum = 0.0f;
            for (int c = lane; c < C; c += 32) sum += row[c];
            for (int o = 16; o > 0; o /= 2) sum += __shfl_down_sync(0xffffffffu, sum, o);
            if (lane == 0) out[r] = sum;
        }
        """
    pts, cases, report = grade_task("00", 3, stubs(tmp_path, "00", rowsum_warp_dot_cu=kernel))
    assert pts == 0
    assert "memcheck: kernel 'rowsum_warp_kernel', block (0,0,0), thread (32,0,0): out-of-bounds read" in report
    assert "at line 6: 'x' (parameter 2, float*) has 1 element (4 bytes)" in report


def test_an_online_softmax_writing_past_its_row_fails_with_the_memcheck_line(tmp_path):
    reference = one_kernel("cuda/attention.cu", "softmax_forward_online_kernel")
    kernel = reference.replace("for (int i = t; i < N; i += blockDim.x) yr[i] = expf(xr[i] - m) * inv;",
                               "for (int i = t; i <= N; i += blockDim.x) yr[i] = expf(xr[i] - m) * inv;")
    assert kernel != reference
    line = kernel[:kernel.index("i <= N; i += blockDim.x) yr[i]")].count("\n") + 1
    pts, cases, report = grade_task("03", 3, stubs(tmp_path, "03", softmax_online_dot_cu=kernel))
    assert pts == 0
    assert "memcheck: kernel 'softmax_forward_online_kernel'" in report
    assert f"out-of-bounds read of 4 bytes at x[1] at line {line}" in report


def test_a_missing_barrier_fails_with_the_racecheck_lines(tmp_path):
    reference = one_kernel("cuda/attention.cu", "softmax_forward_online_kernel")
    start = reference.index("softmax_forward_online_kernel(")
    body = reference[start:]
    racy = body.replace("        }\n    }\n    __syncthreads();\n    m = warp_m[0];", "        }\n    }\n    m = warp_m[0];", 1)
    assert racy != body
    pts, cases, report = grade_task("03", 3, stubs(tmp_path, "03", softmax_online_dot_cu=reference[:start] + racy))
    assert pts == 0
    assert "racecheck: kernel 'softmax_forward_online_kernel'" in report
    assert re.search(r"hazard on warp_m\[0\], shared memory 'warp_m' \(float\[32\], 128 bytes\): thread \(\d+,0,0\) "
                     r"(reads|writes) it at line \d+, and thread \(\d+,0,0\) (read|wrote) it at line \d+", report), report


# --- nothing the code prints or does can forge a score ------------------------------
FAKE_RESULT = '{"cases": [["shape (1, 1)", true, ""], ["shape (3, 5)", true, ""]]}'


def test_a_python_stub_printing_a_result_and_exiting_scores_zero(tmp_path):
    stub = f"""\
        import os, sys
        print({FAKE_RESULT!r})
        sys.stdout.flush()
        os._exit(0)
        def rowsum(x):
            return x.sum(axis=1)
        """
    pts, cases, report = grade_task("00", 1, stubs(tmp_path, "00", rowsum_dot_py=stub))
    assert pts == 0 and "ended while loading your code" in report


def test_a_c_constructor_printing_a_result_and_exiting_scores_zero(tmp_path):
    stub = r"""
        #include <stdio.h>
        #include <stdlib.h>
        __attribute__((constructor)) static void fake(void) {
            puts("{\"cases\": [[\"n = 1\", true, \"\"], [\"n = 7\", true, \"\"]]}");
            fflush(stdout);
            exit(0);
        }
        void axpy(float* out, float a, const float* x, const float* y, int n) {
            for (int i = 0; i < n; i++) out[i] = a * x[i] + y[i];
        }
        """
    pts, cases, report = grade_task("00", 2, stubs(tmp_path, "00", axpy_dot_c=stub))
    assert pts == 0 and "ended while loading your code" in report


def test_a_cuda_stub_printing_garbage_from_a_constructor_stops_nothing(tmp_path):
    kernel = open(os.path.join(ROOT, "cuda", "basics.cu")).read() + textwrap.dedent("""
        #include <stdio.h>
        struct Noise { Noise() { printf("this is not JSON {{{\\n"); fflush(stdout); } };
        static Noise noise;
        """)
    out = io.StringIO()
    score, total, results = grade("00", workdir=stubs(tmp_path, "00", rowsum_warp_dot_cu=kernel), out=out)
    assert results[2]["points"] == 5 and score == 5, out.getvalue()
    assert "not JSON" not in out.getvalue()


def test_a_correct_kernel_printing_without_a_newline_scores_full_marks(tmp_path, capfd):
    kernel = open(os.path.join(ROOT, "cuda", "basics.cu")).read().replace(
        "    if (lane == 0) {\n        out[r] = sum;",
        '    if (lane == 0) {\n        printf("row %d done", r);\n        out[r] = sum;')
    assert 'printf("row' in kernel
    pts, _, report = grade_task("00", 3, stubs(tmp_path, "00", rowsum_warp_dot_cu=kernel))
    assert pts == 5, report
    assert "row 0 done" not in capfd.readouterr().out


def test_writing_fake_outputs_into_the_results_folder_does_not_pass(tmp_path):
    # The task's process may write files where its outputs go: they are
    # still compared with the right answers, here, and wrong ones fail.
    stub = """\
        import glob, os
        import numpy as np
        def rowsum(x):
            for i in range(5):
                np.savez(f"case-{i}.npz", rowsum=np.zeros(1))
            os._exit(0)
        """
    pts, cases, report = grade_task("00", 1, stubs(tmp_path, "00", rowsum_dot_py=stub))
    assert pts == 0, report


# --- messages -----------------------------------------------------------------------
def test_a_long_c_compile_error_is_shown_whole_with_file_and_line(tmp_path):
    stub = """\
        void axpy(float* out, float a, const float* x, const float* y, int n) {
            for (int i = 0; i < n; i++) {
                out[i] = a * x[i] + y[i] + an_undefined_variable_with_a_long_name_so_the_message_is_long;
            }
            this is not C at all;
        }
        """
    pts, cases, report = grade_task("00", 2, stubs(tmp_path, "00", axpy_dot_c=stub))
    assert pts == 0 and cases[0][0] == "compile axpy.c"
    msg = cases[0][2]
    assert len(msg) > 300 and msg.startswith("axpy.c does not compile:")
    assert "axpy.c:3:" in msg and "an_undefined_variable_with_a_long_name_so_the_message_is_long" in msg
    assert "axpy.c:5:" in msg and str(tmp_path) not in msg


def test_a_cuda_compile_error_names_the_file_and_line(tmp_path):
    kernel = """\
        extern "C" __global__ void rowsum_warp_kernel(float* out, const float* x, int R, int C) {
            int warp = threadIdx.x / 32
            out[0] = x[0];
        }
        """
    pts, cases, report = grade_task("00", 3, stubs(tmp_path, "00", rowsum_warp_dot_cu=kernel))
    assert pts == 0 and cases[0][0] == "compile rowsum_warp.cu"
    assert cases[0][2].startswith("rowsum_warp.cu does not compile:") and "rowsum_warp.cu:3:" in cases[0][2]


def test_a_missing_file_says_it_is_missing(tmp_path):
    pts, cases, report = grade_task("00", 2, stubs(tmp_path, "00", axpy_dot_c=None))
    assert pts == 0 and f"missing: there is no axpy.c in {tmp_path}" in report
    assert "compile" not in report


def test_scores_are_rounded():
    assert points_text(2 * 5 / 6) == "1.67" and points_text(3.0) == "3" and points_text(0.5) == "0.5"


def test_a_partial_score_prints_rounded(tmp_path):
    stub = """\
        import numpy as np
        def softmax_forward(x):
            e = np.exp(x)          # not stable: overflows for large scores
            return e / e.sum(axis=-1, keepdims=True)
        """
    pts, _, report = grade_task("03", 1, stubs(tmp_path, "03", softmax_dot_py=stub))
    assert pts == 1.67 and "1.67/2" in report and "score: 1.67/2" in report


# --- one broken task or case never stops the others ------------------------------------
def test_a_crashing_c_solution_loses_only_its_own_points(tmp_path):
    workdir = stubs(tmp_path, "00", axpy_dot_c="""\
        void axpy(float* out, float a, const float* x, const float* y, int n) {
            *(volatile int*)0 = 1;  /* a deliberate segfault */
        }
        """)
    shutil.copy(os.path.join(ROOT, "pystory", "basics.py"), tmp_path / "rowsum.py")
    out = io.StringIO()
    score, total, results = grade("00", workdir=workdir, out=out)
    assert results[0]["points"] == results[0]["of"]       # the Python task still counts
    assert results[1]["points"] == 0
    assert all(not ok and ("null pointer" in msg and "axpy.c:2" in msg or "SIGSEGV" in msg)
               for _, ok, msg in results[1]["cases"]), out.getvalue()


def test_a_case_that_hangs_fails_alone_and_the_next_cases_run(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "CASE_LIMIT", 3)
    stub = """\
        void axpy(float* out, float a, const float* x, const float* y, int n) {
            volatile int spin = 1;
            while (n == 7 && spin) { }  /* hangs on one case only */
            for (int i = 0; i < n; i++) out[i] = a * x[i] + y[i];
        }
        """
    pts, cases, report = grade_task("00", 2, stubs(tmp_path, "00", axpy_dot_c=stub))
    verdicts = {name: ok for name, ok, _ in cases}
    assert verdicts == {"n = 1": True, "n = 7": False, "n = 1000": True, "n = 300000": True}, report
    assert "did not finish in 3 s" in report and pts == 2.25


def test_a_kernel_that_hangs_fails_its_case_with_the_emulators_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("PYSTORY_EMU_TIMEOUT", "1")
    kernel = open(os.path.join(ROOT, "cuda", "basics.cu")).read().replace(
        "    if (r >= R) return;", "    if (r >= R) return;\n    volatile int spin = 1;\n    while (R == 5 && spin) { }")
    pts, cases, report = grade_task("00", 3, stubs(tmp_path, "00", rowsum_warp_dot_cu=kernel))
    verdicts = [ok for _, ok, _ in cases]
    assert verdicts == [True, False, True, True, True], report
    assert "kernel 'rowsum_warp_kernel' timed out" in report


# --- hints ---------------------------------------------------------------------------
def solution_lines(task):
    """The lines of the reference implementation of a task's symbol."""
    path = os.path.join(ROOT, task.reference)
    src = open(path).read()
    if task.lang == "python":
        m = re.search(rf"^def {task.symbol}\(.*?(?=^\S)", src + "\nEND", re.S | re.M)
        body = m.group(0)
    else:
        code = blank(src)
        m = re.search(rf"\b{task.symbol}\s*\(", code)
        brace = code.index("{", m.end())
        body = src[brace:matching(code, brace, "{", "}") + 1]
        if task.lang == "c" and task.symbol == "philox4x32_10":  # the learner writes the round, not the loop
            m = re.search(r"\bphilox_round\w*\s*\(", blank(src))
            brace = code.index("{", m.end())
            body += src[brace:matching(code, brace, "{", "}") + 1]
    return [ln for ln in body.splitlines()]


def normal(text):
    return re.sub(r"\s+", "", text).rstrip(";{}")


@pytest.mark.parametrize("ch", CHAPTERS)
def test_hints_never_contain_a_line_of_the_solution(ch):
    for task in load_tasks(ch):
        hint = normal(task.hint)
        for line in solution_lines(task):
            code = normal(line.split("//")[0].split("#")[0])
            if len(code) >= 12:
                assert code not in hint, f"chapter {ch}, {task.name}: the hint contains the solution line {line.strip()!r}"


# What code looks like inside a sentence: a call, an index, an operator, a
# brace, a code span. A hint that guides is prose.
CODE = re.compile(r"[A-Za-z_]\w*\(|\w\[|[+\-*/%^&|!<>=]=|->|<<|>>|&&|\|\||[{}`]")


@pytest.mark.parametrize("ch", CHAPTERS)
def test_hints_are_prose_not_code(ch):
    for task in load_tasks(ch):
        m = CODE.search(task.hint)
        assert m is None, f"chapter {ch}, {task.name}: the hint reads like code at {task.hint[m.start():][:40]!r}"


def test_the_code_detector_catches_the_old_hints():
    for old in ["if (i + 1 < n && word_of[i] == word_of[i + 1]) atomicAdd(&hist[ids[i] * V + ids[i + 1]], 1);",
                "if (e < N * C) atomicAdd(&dtable[ids[e / C] * C + e % C], dout[e]);",
                "a for loop over i < n with `#pragma omp parallel for`",
                "np.zeros((vocab, C)), then np.add.at over ids.reshape(-1) and dout.reshape(-1, C)"]:
        assert CODE.search(old), old


def test_unknown_chapter_is_a_clear_error():
    with pytest.raises(SystemExit, match="no chapter '99'"):
        grade("99")


def test_the_command_line_answers_a_wrong_task_number_with_one_line(capsys):
    assert grading.main(["00", "--task", "9"]) == 2
    assert capsys.readouterr().err.strip() == "grade: chapter 00 has tasks 1 to 3, not 9"
