"""The benchmark method every bench.py uses (pystory/bench.py): implementations take turns, the median and
the spread are reported, a noisy row is flagged, and NumPy's yardstick may run without a forced BLAS kernel."""
import os
import subprocess
import sys

from pystory import bench
from pystory.bench import SPREAD_FLAG, SPREAD_NOTE, Timing, interleaved, preamble

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_implementations_take_turns_after_their_warm_up():
    calls = []
    interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeat=3, warmup=1, min_time=0)
    assert calls == ["a", "b"] + ["a", "b"] * 3


def test_every_repeat_gives_one_sample_per_implementation():
    times = interleaved({"a": lambda: None, "b": lambda: None}, repeat=5, min_time=0)
    assert [len(t.samples) for t in times.values()] == [5, 5]


def test_a_short_call_is_looped_until_a_sample_lasts_min_time():
    ticks = iter(range(10**6))
    count = []
    interleaved({"a": lambda: count.append(1)}, repeat=1, warmup=0, min_time=8, clock=lambda: next(ticks))
    assert len(count) >= 8          # one tick per clock read: 8 ticks need several calls per sample


def test_a_pause_is_slept_before_every_timed_call(monkeypatch):
    calls = []
    monkeypatch.setattr(bench.time, "sleep", lambda s: calls.append(f"pause {s}"))
    interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeat=2, min_time=0, pause=0.3)
    assert calls == ["a", "b"] + ["pause 0.3", "a", "pause 0.3", "b"] * 2


def test_the_pause_is_not_counted_in_a_sample(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(bench.time, "sleep", lambda s: now.__setitem__(0, now[0] + 100))
    times = interleaved({"a": lambda: now.__setitem__(0, now[0] + 1)}, repeat=3, min_time=0, pause=0.3,
                        clock=lambda: now[0])
    assert times["a"].samples == [1, 1, 1]


def test_a_self_timed_call_is_taken_at_its_word():
    now = [0.0]

    def remote():                   # e.g. a child process that reports its own seconds; the clock sees 5
        now[0] += 5
        return 0.25
    times = interleaved({"remote": remote, "here": lambda: now.__setitem__(0, now[0] + 1)}, repeat=3,
                        min_time=0, clock=lambda: now[0], self_timed={"remote"})
    assert times["remote"].samples == [0.25] * 3 and times["here"].samples == [1, 1, 1]


def test_the_median_and_the_spread_of_the_repeats():
    t = Timing([1.0, 3.0, 2.0, 2.0, 2.2])
    assert t.median == 2.0 and abs(t.spread - 1.0) < 1e-12 and t.best == 1.0


def test_a_row_whose_spread_exceeds_the_flag_is_marked():
    quiet, noisy = Timing([1.0, 1.0 + SPREAD_FLAG / 2, 1.05]), Timing([1.0, 1.0 + 2 * SPREAD_FLAG, 1.1])
    assert not quiet.noisy and quiet.spread_text().endswith("%")
    assert noisy.noisy and noisy.spread_text().endswith("!")


def test_one_sample_has_no_spread():
    assert Timing([1.0]).spread_text() == "-" and not Timing([1.0]).noisy


def test_a_benchmark_that_prints_the_spread_note_under_its_tables_can_leave_it_out_of_the_preamble():
    assert SPREAD_NOTE in preamble(keep_blas_env=True)
    assert SPREAD_NOTE not in preamble(keep_blas_env=True, note=False)


def test_a_benchmark_unsets_a_forced_openblas_kernel_for_its_yardstick_and_says_so():
    code = ("import os; from pystory.bench import free_blas_yardstick; line = free_blas_yardstick(); "
            "print(os.environ.get('OPENBLAS_CORETYPE'), os.environ.get('OPENBLAS_L2_SIZE'), '|', line)")
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell", OPENBLAS_L2_SIZE="1048576", PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    out = r.stdout.strip()
    assert out.startswith("None None |") and "OPENBLAS_CORETYPE=Haswell" in out and "OPENBLAS_L2_SIZE" in out


def test_keep_leaves_the_machines_blas_settings_alone():
    code = ("import os; from pystory.bench import free_blas_yardstick; line = free_blas_yardstick(keep=True); "
            "print(os.environ.get('OPENBLAS_CORETYPE'), repr(line))")
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell", PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "Haswell ''"
