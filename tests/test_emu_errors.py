"""The CUDA emulator refuses what a GPU would refuse, reports kernel bugs
as errors naming the kernel, block and thread (never a hang), rejects what
it cannot emulate at compile time, and caches its builds."""
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


@pytest.fixture(scope="module")
def misc():
    return emu.RawModule(path=KERNELS / "emu_misc.cu")


@pytest.fixture(scope="module")
def warp():
    return emu.RawModule(path=KERNELS / "emu_warp.cu")


@pytest.fixture(scope="module")
def matmul():
    return emu.RawModule(path=KERNELS / "emu_matmul.cu")


def matmul_args(n=4):
    a = np.ones((n, n), np.float32)
    return (a, a, np.zeros((n, n), np.float32), np.int32(n), np.int32(n), np.int32(n))


# --- kernel bugs -------------------------------------------------------------
def test_barrier_divergence_raises_naming_kernel_block_and_thread(misc):
    x = np.zeros(32, np.float32)
    with pytest.raises(emu.EmuError, match=r"divergent_barrier.*block \(0,0,0\).*thread \(0,0,0\) exited"):
        misc.get_function("divergent_barrier")(1, 32, (x,))


def test_failed_assert_raises_emu_error_with_the_condition(misc):
    x = np.array([1, 2, -3, 4], np.int32)
    with pytest.raises(emu.EmuError, match=r"checks_positive.*thread \(2,0,0\).*x\[threadIdx.x\] > 0"):
        misc.get_function("checks_positive")(1, 4, (x,))


def test_passing_assert_runs_quietly(misc):
    misc.get_function("checks_positive")(1, 4, (np.array([1, 2, 3, 4], np.int32),))


def test_trap_raises_emu_error(misc):
    with pytest.raises(emu.EmuError, match=r"traps.*thread \(3,0,0\).*__trap"):
        misc.get_function("traps")(1, 8, (np.zeros(8, np.int32),))


def test_shuffle_naming_an_exited_lane_raises(warp):
    with pytest.raises(emu.EmuError, match=r"shuffle_after_exit.*lane 5 .*has exited"):
        warp.get_function("shuffle_after_exit")(1, 32, (np.zeros(32, np.float32),))


def test_module_still_works_after_a_kernel_error(misc):
    with pytest.raises(emu.EmuError):
        misc.get_function("divergent_barrier")(2, 64, (np.zeros(64, np.float32),))
    out = np.zeros(128, np.int32)
    misc.get_function("bounded")(1, 128, (out,))
    assert out.sum() == 128


# --- launch limits -------------------------------------------------------------
def test_1025_threads_per_block_are_rejected(matmul):
    with pytest.raises(emu.EmuLaunchError, match=r"too many threads per block \(1025 > 1024\)"):
        matmul.get_function("matmul_tiled")(1, (1025,), matmul_args())


def test_block_z_above_64_is_rejected(matmul):
    with pytest.raises(emu.EmuLaunchError, match="block.z = 65 exceeds the limit 64"):
        matmul.get_function("matmul_tiled")(1, (1, 1, 65), matmul_args())


def test_empty_grid_is_rejected(matmul):
    with pytest.raises(emu.EmuLaunchError, match="at least 1"):
        matmul.get_function("matmul_tiled")((0, 1), (16, 16), matmul_args())


def test_launch_bounds_limit_the_block_size(misc):
    k = misc.get_function("bounded")
    assert k.max_threads_per_block == 128
    with pytest.raises(emu.EmuLaunchError, match=r"too many resources requested for launch.*__launch_bounds__\(128\)"):
        k(1, 256, (np.zeros(256, np.int32),))


def test_static_shared_memory_is_measured(misc, matmul):
    assert misc.get_function("big_shared").shared_size_bytes == 40 * 1024
    assert matmul.get_function("matmul_tiled").shared_size_bytes == 4 * (16 * 16 + 16 * 17)


def test_too_much_shared_memory_is_rejected(misc):
    out = np.zeros(64, np.float32)
    misc.get_function("big_shared")(1, 64, (out,), shared_mem=8 * 1024)  # exactly 48 KiB: fine
    with pytest.raises(emu.EmuLaunchError, match=r"too much shared memory.*40960 bytes static \+ 8196"):
        misc.get_function("big_shared")(1, 64, (out,), shared_mem=8 * 1024 + 4)


# --- arguments -----------------------------------------------------------------
def test_wrong_argument_count_names_the_kernel_and_parameters(matmul):
    with pytest.raises(TypeError, match=r"'matmul_tiled' takes 6 arguments \(A, B, C, M, N, K\), got 5"):
        matmul.get_function("matmul_tiled")(1, 16, matmul_args()[:5])


def test_wrong_dtype_names_the_kernel_and_parameter(matmul):
    a, b, c, m, n, k = matmul_args()
    with pytest.raises(TypeError, match=r"'matmul_tiled': argument 'B' \(parameter 2, const float\*\).*float32, got float64"):
        matmul.get_function("matmul_tiled")(1, 16, (a, b.astype(np.float64), c, m, n, k))


def test_wrong_scalar_type_is_rejected(matmul):
    a, b, c, m, n, k = matmul_args()
    with pytest.raises(TypeError, match=r"argument 'N' \(parameter 5, int\) must be numpy.int32, got numpy.int64"):
        matmul.get_function("matmul_tiled")(1, 16, (a, b, c, m, np.int64(4), k))


def test_python_float_for_a_float_parameter_is_rejected(misc):
    out = np.zeros(6, np.float64)
    with pytest.raises(TypeError, match=r"argument 'e'.*numpy.float32"):
        misc.get_function("scalars")(1, 1, (1, 2, 3, 4, 0.5, 0.25, out))


def test_out_of_range_python_int_is_rejected(misc):
    out = np.zeros(6, np.float64)
    with pytest.raises(ValueError, match=r"argument 'a'.*out of range for int"):
        misc.get_function("scalars")(1, 1, (2**31, 2, 3, 4, np.float32(0.5), 0.25, out))


def test_non_contiguous_array_is_rejected(matmul):
    a, b, c, m, n, k = matmul_args(8)
    with pytest.raises(TypeError, match=r"argument 'A' \(parameter 1, const float\*\) must be C-contiguous"):
        matmul.get_function("matmul_tiled")(1, 16, (a[:, ::2], b, c, m, n, k))


def test_read_only_array_for_non_const_pointer_is_rejected(matmul):
    a, b, c, m, n, k = matmul_args()
    c.flags.writeable = False
    with pytest.raises(ValueError, match=r"argument 'C'.*read-only"):
        matmul.get_function("matmul_tiled")(1, 16, (a, b, c, m, n, k))


def test_read_only_array_for_const_pointer_is_fine(matmul):
    a, b, c, m, n, k = matmul_args()
    a.flags.writeable = False
    matmul.get_function("matmul_tiled")(1, (16, 16), (a, b, c, m, n, k))
    assert c[0, 0] == 4


def test_missing_kernel_name_is_reported_with_the_known_ones(matmul):
    with pytest.raises(KeyError, match=r"no kernel named 'matmul'.*matmul_tiled"):
        matmul.get_function("matmul")


# --- compiling -----------------------------------------------------------------
def test_inline_asm_is_rejected_at_compile_time_with_its_line():
    src = 'extern "C" __global__ void k(int* x) {\n  int v;\n  asm("mov.u32 %0, %%laneid;" : "=r"(v));\n  x[0] = v;\n}\n'
    with pytest.raises(emu.EmuCompileError, match=r"inline PTX asm\(\) is not supported by the emulator .*line 3"):
        emu.RawModule(code=src)


@pytest.mark.parametrize("snippet,what", [
    ("x[0] = __shfl_down(x[0], 1);", "deprecated non-sync warp intrinsic __shfl_down"),
    ("x[0] = (int)clock64();", "clock64"),
    ("__nanosleep(100);", "__nanosleep"),
])
def test_other_unsupported_constructs_are_named(snippet, what):
    src = f'extern "C" __global__ void k(int* x) {{\n  {snippet}\n}}\n'
    with pytest.raises(emu.EmuCompileError, match=what + r".*not supported.*line 2"):
        emu.RawModule(code=src)


def test_unsupported_words_in_comments_are_ignored():
    src = '// asm("trap;") would be wrong here\nextern "C" __global__ void k(int* x) { x[0] = 1; }\n'
    emu.RawModule(code=src).get_function("k")(1, 1, (np.zeros(1, np.int32),))


def test_compile_error_reports_the_source_line():
    src = 'extern "C" __global__ void k(float* x) {\n  x[0] = 1.0f;\n  x[1] = undefined_name;\n}\n'
    with pytest.raises(emu.EmuCompileError) as err:
        emu.RawModule(code=src)
    msg = str(err.value)
    assert ":3:" in msg and "undefined_name" in msg
    assert "emu-generated" not in msg


def test_options_define_macros_and_include_dirs(tmp_path):
    (tmp_path / "value.cuh").write_text("#define VALUE 42\n")
    src = '#include "value.cuh"\nextern "C" __global__ void k(int* x) { x[0] = VALUE + EXTRA; }\n'
    mod = emu.RawModule(code=src, options=(f"-I{tmp_path}", "-DEXTRA=1", "--std=c++17", "-use_fast_math"))
    x = np.zeros(1, np.int32)
    mod.get_function("k")(1, 1, (x,))
    assert x[0] == 43


def test_second_load_in_a_fresh_process_uses_the_cache(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pystory import emu
        m = emu.RawModule(path={str(KERNELS / 'emu_scan.cu')!r})
        print(m.from_cache)
    """)
    env = dict(os.environ, PYSTORY_EMU_CACHE=str(tmp_path))

    def run():
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        return out.stdout.strip() == "True"

    assert run() is False
    assert run() is True    # loaded from the cache, not compiled again (no timing: the machine may be busy)


def test_changing_an_included_header_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setenv("PYSTORY_EMU_CACHE", str(tmp_path / "cache"))
    (tmp_path / "v.cuh").write_text("#define V 1\n")
    src = '#include "v.cuh"\nextern "C" __global__ void k(int* x) { x[0] = V; }\n'
    x = np.zeros(1, np.int32)
    emu.RawModule(code=src, options=(f"-I{tmp_path}",)).get_function("k")(1, 1, (x,))
    (tmp_path / "v.cuh").write_text("#define V 2\n")
    mod = emu.RawModule(code=src, options=(f"-I{tmp_path}",))
    mod.get_function("k")(1, 1, (x,))
    assert not mod.from_cache and x[0] == 2


def test_two_processes_compiling_the_same_source_both_succeed(tmp_path):
    src = 'extern "C" __global__ void twice(int* x) { x[threadIdx.x] = threadIdx.x; }\n'
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        from pystory import emu
        x = np.zeros(4, np.int32)
        emu.RawModule(code={src!r}).get_function("twice")(1, 4, (x,))
        assert x.tolist() == [0, 1, 2, 3]
    """)
    env = dict(os.environ, PYSTORY_EMU_CACHE=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env) for _ in range(2)]
    assert [p.wait() for p in procs] == [0, 0]
    assert not list(tmp_path.glob("tmp-*"))  # no temporary files left behind


def test_missing_compiler_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CXX", "no-such-compiler-xyz")
    monkeypatch.setenv("PYSTORY_EMU_CACHE", str(tmp_path))
    with pytest.raises(emu.EmuCompileError, match="no C\\+\\+ compiler found.*install"):
        emu.RawModule(code='extern "C" __global__ void k() {}\n')
