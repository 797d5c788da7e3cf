"""Never a hang, never a dead interpreter: a kernel that loops forever, divides
by zero, follows a NULL or wild pointer, overflows its stack, calls exit()
or abort(), or is interrupted with Ctrl-C raises an error naming the kernel
(and the line where it can be known) — and Python carries on. A damaged
cached library is rebuilt. Kernels: tests/kernels/emu_bugs.cu and
not_cuda_faults.cu, each bug on the line its comment names."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from pystory import emu

KERNELS = Path(__file__).parent / "kernels"
ROOT = Path(__file__).resolve().parents[1]
i32 = np.int32


def sigint_default():
    """In the child: Ctrl-C back to its default, so Python installs KeyboardInterrupt even when the suite
    itself was started with SIGINT ignored (a background job of a non-interactive shell)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def bugs():
    return emu.RawModule(path=KERNELS / "emu_bugs.cu", check=False)


@pytest.fixture(scope="module")
def checked_bugs():
    return emu.RawModule(path=KERNELS / "emu_bugs.cu", check=True)


@pytest.fixture(scope="module")
def not_cuda():
    return emu.RawModule(path=KERNELS / "not_cuda_faults.cu", check=False)


def still_works(mod):
    out = np.zeros(8, np.float32)
    mod.get_function("copy")(1, 8, (out, np.ones(8, np.float32)))
    assert (out == 1).all()


# --- runaway kernels -------------------------------------------------------------
@pytest.mark.parametrize("checked", [False, True], ids=["fast", "checked"])
def test_an_endless_loop_times_out_naming_the_kernel_and_the_blocks_still_running(bugs, checked_bugs, checked,
                                                                                   monkeypatch):
    mod = checked_bugs if checked else bugs
    monkeypatch.setenv("PYSTORY_EMU_TIMEOUT", "0.5")
    t = time.perf_counter()
    with pytest.raises(emu.EmuTimeoutError) as e:
        mod.get_function("spins_forever")(4, 4, (np.zeros(4, i32),))
    assert time.perf_counter() - t < 20
    msg = str(e.value)
    assert msg.startswith("kernel 'spins_forever' timed out after") and "PYSTORY_EMU_TIMEOUT=0.5" in msg
    assert "blocks still running: (" in msg and "thread (1,0,0) was still running at line" in msg
    if checked:
        assert "at line 164" in msg
    still_works(mod)


def test_ctrl_c_interrupts_a_launch_and_python_raises_keyboard_interrupt():
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        from pystory import emu
        mod = emu.RawModule(path={str(KERNELS / 'emu_bugs.cu')!r}, check=False)
        print("ready", flush=True)
        try:
            mod.get_function("spins_forever")(2, 4, (np.zeros(4, np.int32),))
        except KeyboardInterrupt as e:
            print("interrupted:", e, flush=True)
        out = np.zeros(8, np.float32)
        mod.get_function("copy")(1, 8, (out, np.ones(8, np.float32)))
        print("still works:", out.sum(), flush=True)
        try:
            time.sleep(30)      # Ctrl-C after a launch is Python's again
        except KeyboardInterrupt:
            print("second interrupt", flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=sigint_default)
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        line = p.stdout.readline()
        assert line.startswith("interrupted: kernel 'spins_forever' was interrupted (Ctrl-C)"), line
        assert p.stdout.readline().strip() == "still works: 8.0"
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        assert p.stdout.readline().strip() == "second interrupt"
        assert p.wait(timeout=30) == 0
    finally:
        p.kill()


# --- faults ------------------------------------------------------------------------
def test_integer_division_by_zero_names_the_thread_and_line(bugs):
    with pytest.raises(emu.EmuError, match=r"'divides_by'.*thread \(3,0,0\): integer division by zero at line 169"):
        bugs.get_function("divides_by")(1, 8, (np.zeros(8, i32), i32(3)))
    still_works(bugs)


def test_a_division_the_compiler_proved_undefined_is_an_error_not_sigill(bugs, checked_bugs):
    with pytest.raises(emu.EmuError, match=r"'divides_by_literal_zero'.*illegal instruction.*undefined behaviour"):
        bugs.get_function("divides_by_literal_zero")(1, 8, (np.zeros(8, i32),))
    with pytest.raises(emu.EmuError, match=r"integer division by zero at line 174"):  # the exact line, checked
        checked_bugs.get_function("divides_by_literal_zero")(1, 8, (np.zeros(8, i32),))
    still_works(bugs)


def test_a_null_pointer_is_an_error_with_its_line(bugs):
    with pytest.raises(emu.EmuError, match=r"thread \(3,0,0\): segmentation fault: a NULL pointer was "
                                           r"dereferenced \(address 0xc\) at line 56"):
        bugs.get_function("null_pointer")(1, 8, (np.zeros(8, np.float32),))
    still_works(bugs)


def test_a_wild_pointer_is_an_error_with_its_line(bugs):
    with pytest.raises(emu.EmuError, match=r"invalid address 0x12345678 .* at line 61"):
        bugs.get_function("wild_pointer")(1, 1, (np.zeros(1, np.float32), np.int64(0x12345678)))
    still_works(bugs)


def test_endless_recursion_overflows_into_the_guard_gap_not_a_neighbour(bugs):
    with pytest.raises(emu.EmuError, match=r"'recursion'.*thread \(0,0,0\): stack overflow: the thread overflowed "
                                           r"its 128 KiB stack.* at line 1(79|80|81)"):
        bugs.get_function("recursion")(1, 2, (np.zeros(2, i32),))
    still_works(bugs)


def test_a_local_array_larger_than_the_stack_is_a_stack_overflow(bugs):
    with pytest.raises(emu.EmuError, match=r"'huge_local_array'.*stack overflow"):
        bugs.get_function("huge_local_array")(1, 2, (np.zeros(2, np.float32), i32(5)))
    still_works(bugs)


@pytest.mark.parametrize("kernel,what,line", [("calls_exit", r"exit\(3\)", 8), ("calls_abort", r"abort\(\)", 13),
                                              ("calls_std_exit", r"exit\(0\)", 18)])
def test_exit_and_abort_in_a_kernel_end_the_thread_not_python(not_cuda, kernel, what, line):
    with pytest.raises(emu.EmuError, match=rf"'{kernel}'.*thread \(2,0,0\): {what} called at line {line} "
                                           r"\(a kernel cannot end the program"):
        not_cuda.get_function(kernel)(1, 4, (np.zeros(4, i32),))


def test_an_exception_thrown_in_a_kernel_is_an_error(not_cuda):
    with pytest.raises(emu.EmuError, match=r"thread \(1,0,0\): a C\+\+ exception escaped the kernel"):
        not_cuda.get_function("throws")(1, 4, (np.zeros(4, i32),))
    out = np.zeros(4, i32)
    not_cuda.get_function("calls_exit")(1, 2, (out,))  # thread 2 does not exist: nothing exits
    assert out.tolist() == [1, 1, 0, 0]


def test_a_fault_outside_any_kernel_still_reaches_pythons_own_handler():
    # The emulator's handlers are only there during a launch, and pass on
    # what is not theirs: faulthandler still reports a segfault in Python.
    script = textwrap.dedent(f"""
        import ctypes, faulthandler, sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        from pystory import emu
        faulthandler.enable()
        mod = emu.RawModule(path={str(KERNELS / 'emu_bugs.cu')!r}, check=False)
        out = np.zeros(8, np.float32)
        mod.get_function("copy")(1, 8, (out, np.ones(8, np.float32)))
        ctypes.string_at(0)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "Segmentation fault" in r.stderr


# --- the cache ------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_damaged_cached_library_is_rebuilt(tmp_path, damage):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        from pystory import emu
        m = emu.RawModule(path={str(KERNELS / 'emu_scan.cu')!r})
        x = np.arange(1, 65, dtype=np.float32); y = np.zeros_like(x)
        m.get_function("scan_hillis_steele")(1, 64, (x, y, np.int32(64)))
        assert (y == np.cumsum(x)).all()
        print(m.from_cache, m.lib_path)
    """)
    env = dict(os.environ, PYSTORY_EMU_CACHE=str(tmp_path))

    def run():
        r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        cached, lib = r.stdout.split()
        return cached == "True", lib

    cached, lib = run()
    assert not cached
    with open(lib, "r+b") as f:
        f.truncate(os.path.getsize(lib) // 2 if damage == "truncated" else 0)
    cached, lib2 = run()
    assert not cached and lib2 == lib and os.path.getsize(lib) > 0
    assert run()[0]  # and then it is cached again


def test_launches_from_several_python_threads_at_once_all_succeed():
    import threading
    fast = emu.RawModule(path=KERNELS / "emu_scan.cu")
    checked = emu.RawModule(path=KERNELS / "emu_matmul.cu", check=True)
    errors = []

    def work():
        try:
            for _ in range(10):
                x = np.arange(1, 257, dtype=np.float32)
                y = np.zeros_like(x)
                fast.get_function("scan_hillis_steele")(1, 256, (x, y, i32(256)))
                assert (y == np.cumsum(x)).all()
                a, c = np.ones((20, 20), np.float32), np.zeros((20, 20), np.float32)
                checked.get_function("matmul_tiled")((2, 2), (16, 16), (a, a, c, i32(20), i32(20), i32(20)))
                assert (c == 20).all()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
