"""The emulator's checked mode is a sanitizer: memcheck, racecheck, initcheck
and synccheck each report a bug as an EmuCheckError that names the check,
the kernel, the block, the thread, the source line and what was touched —
and correct kernels pass it. The kernels are in tests/kernels/emu_bugs.cu;
each bug sits on the line its comment names."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pystory import emu

KERNELS = Path(__file__).parent / "kernels"
ROOT = Path(__file__).resolve().parents[1]
f32 = np.float32


@pytest.fixture(scope="module")
def bugs():
    return emu.RawModule(path=KERNELS / "emu_bugs.cu", check=True)


def report(mod, kernel, grid, block, args, **kw):
    with pytest.raises(emu.EmuCheckError) as e:
        mod.get_function(kernel)(grid, block, args, **kw)
    return e.value


# --- memcheck -------------------------------------------------------------------
def test_an_off_by_one_read_names_parameter_index_extent_and_line(bugs):
    e = report(bugs, "axpy_off_by_one", 1, 32, (np.zeros(7, f32), f32(2), np.ones(7, f32), np.int32(7)))
    assert e.check == "memcheck"
    msg = str(e)
    assert msg.startswith("memcheck: kernel 'axpy_off_by_one', block (0,0,0), thread (7,0,0)")
    assert "out-of-bounds read of 4 bytes at x[7] at line 8" in msg
    assert "'x' (parameter 3, float*) has 7 elements (28 bytes)" in msg


def test_a_write_4_kib_past_the_end_is_stopped_before_it_lands(bugs):
    out = np.zeros(8, f32)
    neighbour = np.zeros(4096, f32)  # whatever lies behind out in memory stays untouched
    e = report(bugs, "write_far_past", 1, 32, (out, np.int32(8)))
    assert "out-of-bounds write of 4 bytes at out[1032] at line 13" in str(e)
    assert not out.any() and not neighbour.any()


def test_a_negative_index_is_reported(bugs):
    e = report(bugs, "read_before", 1, 4, (np.zeros(4, f32), np.ones(4, f32)))
    assert "thread (0,0,0): out-of-bounds read of 4 bytes at x[-1] at line 18" in str(e)


def test_static_shared_memory_reached_through_a_pointer_is_bounds_checked(bugs):
    e = report(bugs, "shared_pointer_past_end", 1, 32, (np.zeros(32, f32),))
    assert "thread (24,0,0): out-of-bounds write of 4 bytes at buf[32] at line 24" in str(e)
    assert "shared memory 'buf' (float[32], 128 bytes)" in str(e)


def test_a_static_shared_array_index_is_bounds_checked(bugs):
    e = report(bugs, "shared_index_past_end", 1, 32, (np.zeros(32, f32),))
    assert "thread (16,0,0): index 16 is out of bounds for type 'float [16]' at line 31" in str(e)


def test_dynamic_shared_memory_is_bounds_checked_against_shared_mem(bugs):
    e = report(bugs, "dynamic_shared_past_end", 1, 32, (np.zeros(32, f32),), shared_mem=32 * 4)
    assert "thread (31,0,0): out-of-bounds write of 4 bytes at tmp[32] at line 38" in str(e)
    assert "dynamic shared memory 'tmp' (float*, 128 bytes: the launch's shared_mem)" in str(e)


def test_a_local_array_index_is_bounds_checked(bugs):
    e = report(bugs, "local_array_past_end", 1, 1, (np.zeros(1, f32), np.int32(4)))
    assert "index 4 is out of bounds for type 'float [4]' at line 45" in str(e)


def test_a_misaligned_float4_load_is_reported(bugs):
    e = report(bugs, "misaligned_float4", 1, 2, (np.zeros(2, f32), np.ones(16, f32)))
    msg = str(e)
    assert "misaligned" in msg and "'x' + 4 bytes" in msg and "float4" in msg
    assert "16-byte alignment, at line 50" in msg


def test_a_null_pointer_is_reported_with_its_thread_and_line(bugs):
    e = report(bugs, "null_pointer", 1, 8, (np.zeros(8, f32),))
    assert "thread (3,0,0): write of 4 bytes through a NULL pointer" in str(e) and "at line 56" in str(e)


def test_a_wild_pointer_is_reported(bugs):
    e = report(bugs, "wild_pointer", 1, 1, (np.zeros(1, f32), np.int64(0x12345678)))
    assert "read of 4 bytes at address 0x12345678 at line 61: not in any array passed to the kernel" in str(e)


def test_arrays_that_share_memory_still_alias_in_checked_mode():
    src = textwrap.dedent("""\
        extern "C" __global__ void k(float* a, const float* b, float* out) {
            if (threadIdx.x == 0) a[1] = 5.0f;
            __syncthreads();
            out[threadIdx.x] = b[threadIdx.x];
        }
        """)
    mod = emu.RawModule(code=src, check=True)
    x, out = np.zeros(4, f32), np.zeros(4, f32)
    mod.get_function("k")(1, 4, (x, x, out))  # a and b are one array
    assert out.tolist() == [0, 5, 0, 0] and x.tolist() == [0, 5, 0, 0]


# --- racecheck ------------------------------------------------------------------
def test_a_missing_syncthreads_is_a_hazard_naming_both_threads_and_both_lines(bugs):
    e = report(bugs, "scan_missing_sync", 1, 64, (np.ones(64, f32), np.zeros(64, f32)))
    assert e.check == "racecheck"
    msg = str(e)
    assert "read-after-write hazard on buf[0], shared memory 'buf' (float[256], 1024 bytes)" in msg
    assert "thread (1,0,0) reads it at line 71, and thread (0,0,0) wrote it at line 72" in msg


def test_every_thread_writing_one_shared_variable_is_a_hazard(bugs):
    e = report(bugs, "everyone_writes_one", 1, 32, (np.zeros(32, f32),))
    assert "write-after-write hazard on last[0]" in str(e) and "at line 79" in str(e)


def test_implicit_warp_synchrony_is_a_hazard(bugs):
    # Since Volta a warp's lanes are not in lockstep: without __syncwarp() the
    # old "warp-synchronous" reduction races.
    e = report(bugs, "warp_reduce_implicit", 1, 32, (np.ones(32, f32), np.zeros(1, f32)))
    assert "write-after-read hazard on s[1]" in str(e) and "at line 92" in str(e)


def test_syncwarp_orders_the_lanes_it_names(bugs):
    out = np.zeros(1, f32)
    bugs.get_function("warp_reduce_syncwarp")(1, 32, (np.ones(32, f32), out))
    assert out[0] == 32


def test_atomics_on_shared_memory_do_not_race_with_each_other(bugs):
    out = np.zeros(64, np.int32)
    bugs.get_function("shared_atomics")(1, 64, (out,))
    assert (out == 64).all()


def test_a_plain_read_racing_with_atomics_is_a_hazard(bugs):
    e = report(bugs, "atomic_and_plain", 1, 64, (np.zeros(64, np.int32),))
    msg = str(e)
    assert "hazard on count[0]" in msg and "updates it atomically at line 125" in msg and "at line 126" in msg


# --- initcheck ------------------------------------------------------------------
def test_reading_shared_memory_no_thread_wrote_is_reported(bugs):
    e = report(bugs, "shared_read_unwritten", 1, 32, (np.zeros(32, f32),))
    assert e.check == "initcheck"
    assert "thread (31,0,0): read of uninitialised shared memory at buf[32]" in str(e)
    assert "at line 134" in str(e)


def test_reading_global_memory_from_empty_is_reported(bugs):
    e = report(bugs, "copy", 1, 8, (np.zeros(8, f32), emu.empty(8, f32)))
    assert "read of uninitialised global memory at x[0] at line 138" in str(e)


def test_global_memory_python_wrote_after_empty_counts_as_initialised(bugs):
    x = emu.empty(8, f32)
    x[:] = 3.0
    out = np.zeros(8, f32)
    bugs.get_function("copy")(1, 8, (out, x))
    assert (out == 3).all()


def test_global_memory_a_kernel_wrote_counts_as_initialised_for_the_next_kernel(bugs):
    tmp = emu.empty(8, f32)
    bugs.get_function("copy")(1, 8, (tmp, np.full(8, 5, f32)))
    out = np.zeros(8, f32)
    bugs.get_function("copy")(1, 8, (out, tmp))
    assert (out == 5).all()


def test_track_uninitialised_makes_numpy_empty_tracked(bugs):
    with emu.track_uninitialised():
        x = np.empty(8, f32)
    with pytest.raises(emu.EmuCheckError, match="initcheck"):
        bugs.get_function("copy")(1, 8, (np.zeros(8, f32), x))
    assert np.empty is not emu.empty  # restored


def test_every_block_starts_with_uninitialised_shared_memory(bugs):
    # A shared array that block 0 wrote is not "written" for block 1.
    src = textwrap.dedent("""\
        extern "C" __global__ void k(float* out) {
            __shared__ float s[32];
            if (blockIdx.x == 0) s[threadIdx.x] = 1.0f;
            __syncthreads();
            out[blockIdx.x * 32 + threadIdx.x] = s[threadIdx.x];
        }
        """)
    mod = emu.RawModule(code=src, check=True)
    with pytest.raises(emu.EmuCheckError, match=r"initcheck: kernel 'k', block \(1,0,0\)"):
        mod.get_function("k")(2, 32, (np.zeros(64, f32),))


# --- synccheck ------------------------------------------------------------------
def test_syncthreads_in_divergent_code_is_reported_with_both_lines(bugs):
    e = report(bugs, "divergent_syncthreads", 1, 32, (np.zeros(32, f32),))
    assert e.check == "synccheck"
    msg = str(e)
    assert "threads (0,0,0)..(15,0,0) (16 threads) wait at __syncthreads() (line 144)" in msg
    assert "threads (16,0,0)..(31,0,0) (16 threads) wait at __syncthreads() (line 146)" in msg


def test_a_shuffle_mask_without_the_calling_lane_is_reported(bugs):
    e = report(bugs, "mask_misses_caller", 1, 32, (np.zeros(32, f32),))
    assert "thread (16,0,0): __shfl_sync() (line 152): mask 0x0000ffff does not include the calling lane 16" in str(e)


def test_a_shuffle_reading_a_lane_outside_its_mask_is_reported(bugs):
    e = report(bugs, "shuffle_reads_outside_mask", 1, 32, (np.zeros(32, f32),))
    assert "lane 8 calls __shfl_down_sync() (line 157) with mask 0x0000ffff and reads lane 16" in str(e)
    assert "undefined on a GPU" in str(e)


# --- the mode itself --------------------------------------------------------------
def test_checks_can_be_chosen_one_by_one():
    mod = emu.RawModule(path=KERNELS / "emu_bugs.cu", check={"memcheck"})
    assert mod.checks == {"memcheck"}
    mod.get_function("scan_missing_sync")(1, 64, (np.ones(64, f32), np.zeros(64, f32)))  # racy, not checked
    with pytest.raises(emu.EmuCheckError, match="memcheck"):
        mod.get_function("read_before")(1, 4, (np.zeros(4, f32), np.ones(4, f32)))


def test_an_unknown_check_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown check 'bounds'.*memcheck, racecheck, initcheck, synccheck"):
        emu.RawModule(code='extern "C" __global__ void k() {}\n', check="bounds")


def test_fast_mode_is_the_default_and_checks_nothing(bugs):
    fast = emu.RawModule(path=KERNELS / "emu_bugs.cu", check=False)
    assert fast.checks == frozenset() and fast.lib_path != bugs.lib_path
    fast.get_function("scan_missing_sync")(1, 64, (np.ones(64, f32), np.zeros(64, f32)))


def test_pystory_emu_check_turns_on_every_check_for_the_emu_backend():
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        import pystory
        from pystory import emu
        be = pystory.backend("emu")
        print(sorted(be.device.module("basics").checks))
        print(np.empty is emu.empty)
    """)
    env = dict(os.environ, PYSTORY_EMU_CHECK="all")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["['initcheck', 'memcheck', 'racecheck', 'synccheck']", "True"]
