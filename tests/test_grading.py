"""The homework grader itself: untouched stubs score 0 without crashing, and
the course's reference code scores full marks, for every chapter with exercises."""
import glob
import io
import os

import pytest

from pystory.grading import ROOT, grade

CHAPTERS = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))[:2]
                  for p in glob.glob(os.path.join(ROOT, "chapters", "*", "exercises", "tasks.py")))


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


def test_a_crashing_c_solution_loses_only_its_own_points(tmp_path):
    import shutil
    exdir = os.path.join(ROOT, "chapters", "00_setup", "exercises")
    for f in os.listdir(exdir):
        if f.endswith((".py", ".c", ".cu")):
            shutil.copy(os.path.join(exdir, f), tmp_path / f)
    shutil.copy(os.path.join(ROOT, "pystory", "basics.py"), tmp_path / "rowsum.py")
    (tmp_path / "axpy.c").write_text(
        "void axpy(float* out, float a, const float* x, const float* y, int n) {\n"
        "    *(volatile int*)0 = 1;  /* a deliberate segfault */\n}\n")
    out = io.StringIO()
    score, total, results = grade("00", workdir=str(tmp_path), out=out)
    assert results[0]["points"] == results[0]["of"]       # the Python task still counts
    assert results[1]["points"] == 0 and "crashed" in out.getvalue()


def test_unknown_chapter_is_a_clear_error():
    with pytest.raises(SystemExit, match="no chapter '99'"):
        grade("99")
