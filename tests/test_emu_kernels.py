"""The CUDA emulator runs real kernels with CUDA semantics: shared memory,
barriers, warp intrinsics, atomics, launch shapes, and the schedules."""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pystory import emu

KERNELS = Path(__file__).parent / "kernels"


def module(name):
    return emu.RawModule(path=KERNELS / f"{name}.cu")


@pytest.fixture(scope="module")
def matmul():
    return module("emu_matmul")


@pytest.fixture(scope="module")
def warp():
    return module("emu_warp")


@pytest.fixture(scope="module")
def scan():
    return module("emu_scan")


@pytest.fixture(scope="module")
def atomics():
    return module("emu_atomics")


@pytest.fixture(scope="module")
def misc():
    return module("emu_misc")


# --- shared memory and barriers ---------------------------------------------
@pytest.mark.parametrize("M,N,K", [(1, 1, 1), (17, 23, 31), (40, 33, 16)])
def test_tiled_matmul_matches_numpy_for_sizes_not_multiple_of_tile(matmul, M, N, K):
    rng = np.random.default_rng(M * N * K)
    A = rng.standard_normal((M, K), dtype=np.float32)
    B = rng.standard_normal((K, N), dtype=np.float32)
    C = np.zeros((M, N), np.float32)
    grid = ((N + 15) // 16, (M + 15) // 16)
    matmul.get_function("matmul_tiled")(grid, (16, 16), (A, B, C, np.int32(M), np.int32(N), np.int32(K)))
    np.testing.assert_allclose(C, A @ B, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("order", ["forward", "reverse", "shuffle"])
def test_correct_scan_gives_the_same_answer_under_every_schedule(scan, order):
    x = np.arange(1, 257, dtype=np.float32)
    y = np.zeros_like(x)
    with emu.schedule(order, seed=3):
        scan.get_function("scan_hillis_steele")(1, 256, (x, y, np.int32(256)))
    np.testing.assert_array_equal(y, np.cumsum(x))


@pytest.mark.parametrize("order", ["reverse", "shuffle"])
def test_scan_without_syncthreads_gives_a_wrong_answer_under_reordered_schedules(scan, order):
    x = np.ones(256, dtype=np.float32)
    y = np.zeros_like(x)
    with emu.schedule(order, seed=1):
        scan.get_function("scan_missing_sync")(1, 256, (x, y, np.int32(256)))
    assert not np.array_equal(y, np.cumsum(x))


def test_schedule_context_manager_restores_the_previous_schedule():
    before = emu.get_schedule()
    with emu.schedule("reverse"):
        assert emu.get_schedule() == ("reverse", 0)
    assert emu.get_schedule() == before


def test_unknown_schedule_is_rejected():
    with pytest.raises(ValueError, match="unknown emulator schedule"):
        emu.set_schedule("sideways")


def test_dynamic_shared_memory_is_sized_by_shared_mem(misc):
    x = np.arange(4 * 64, dtype=np.float32)
    y = np.zeros_like(x)
    misc.get_function("reverse_dynamic")(4, 64, (x, y), shared_mem=64 * 4)
    np.testing.assert_array_equal(y, x.reshape(4, 64)[:, ::-1].ravel())


def test_barriers_inside_device_functions_work(misc):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 50), dtype=np.float32)
    y = np.zeros_like(x)
    misc.get_function("softmax_rows")(3, 64, (x, y, np.int32(50)))
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=1e-5)


# --- launch shapes ----------------------------------------------------------
def test_3d_grid_and_3d_block_see_their_indices(misc):
    grid, block = (2, 3, 2), (4, 2, 3)
    nb, nt = np.prod(grid), np.prod(block)
    out = np.full((nb * nt, 6), -1, np.int32)
    misc.get_function("write_indices")(grid, block, (out,))
    bz, by, bx, tz, ty, tx = np.meshgrid(*(np.arange(n) for n in (grid[2], grid[1], grid[0],
                                                                    block[2], block[1], block[0])), indexing="ij")
    want = np.stack([bx, by, bz, tx, ty, tz], axis=-1).reshape(-1, 6)
    np.testing.assert_array_equal(out, want)


def test_scalar_arguments_of_every_type_arrive_intact(misc):
    out = np.zeros(6, np.float64)
    misc.get_function("scalars")(1, 1, (np.int32(-7), np.uint32(4000000000), np.int64(-2**40),
                                        np.uint64(2**50), np.float32(1.5), np.float64(2.25), out))
    np.testing.assert_array_equal(out, [-7, 4000000000, -2**40, 2**50, 1.5, 2.25])


def test_python_int_and_float_are_accepted_where_unambiguous(misc):
    out = np.zeros(6, np.float64)
    misc.get_function("scalars")(1, 1, (3, 4, 5, 6, np.float32(0.5), 0.25, out))
    np.testing.assert_array_equal(out, [3, 4, 5, 6, 0.5, 0.25])


def test_float4_pointers_take_float32_arrays(misc):
    x = np.arange(32, dtype=np.float32)
    y = np.zeros_like(x)
    misc.get_function("vec4_copy")(1, 8, (x, y))
    np.testing.assert_array_equal(y, x.reshape(8, 4)[:, ::-1].ravel())


def test_bit_intrinsics_match_their_definitions(misc):
    x = np.array([0, 1, 0x80000000, 0xF0F0F0F0, 12345, 7], np.uint32)
    out = np.zeros((6, 6), np.uint32)
    misc.get_function("bit_ops")(1, 6, (x, out))
    for v, o in zip(x.tolist(), out.tolist()):
        assert o[0] == bin(v).count("1")
        assert o[1] == (32 - v.bit_length())
        assert o[2] == ((v & -v).bit_length())
        assert o[3] == int(f"{v:032b}"[::-1], 2)
        assert o[4] == (v * 0x9E3779B9) >> 32
        assert o[5] == max(v, 7)


def test_printf_output_reaches_stdout(misc, capfd):
    misc.get_function("hello")(2, 32, (np.int32(2),))
    out = capfd.readouterr().out
    assert "hello from block 0 of 2" in out and "hello from block 1 of 2" in out


# --- warps -----------------------------------------------------------------
@pytest.mark.parametrize("n", [256, 1000])
def test_warp_shuffle_reduction_matches_numpy(warp, n):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    blocks = (n + 255) // 256
    out = np.zeros(blocks, np.float32)
    warp.get_function("block_sum")(blocks, 256, (x, out, np.int32(n)))
    np.testing.assert_allclose(out.sum(), x.astype(np.float64).sum(), rtol=1e-4, atol=1e-4)


def test_ballot_any_all_follow_the_predicate_per_warp(warp):
    x = np.zeros(96, np.int32)
    x[0:32] = 1             # warp 0: all
    x[32 + 3] = x[32 + 31] = 1  # warp 1: some
    out_b, out_any, out_all = np.zeros(3, np.uint32), np.zeros(3, np.int32), np.zeros(3, np.int32)
    warp.get_function("votes")(1, 96, (x, out_b, out_any, out_all))
    assert out_b.tolist() == [0xFFFFFFFF, (1 << 3) | (1 << 31), 0]
    assert out_any.tolist() == [1, 1, 0]
    assert out_all.tolist() == [1, 0, 0]


@pytest.mark.parametrize("width", [4, 8, 32])
def test_shfl_up_and_shfl_respect_width(warp, width):
    x = np.arange(64, dtype=np.int32)
    scan, first = np.zeros_like(x), np.zeros_like(x)
    warp.get_function("segment_scan")(1, 64, (x, scan, first, np.int32(width)))
    groups = x.reshape(-1, width)
    np.testing.assert_array_equal(scan, np.cumsum(groups, axis=1).ravel())
    np.testing.assert_array_equal(first, np.repeat(groups[:, 0], width))


def test_syncthreads_count_and_or(warp):
    x = np.array([1, 0, 1, 1] * 16, np.int32)
    out = np.zeros(3, np.int32)
    warp.get_function("sync_votes")(1, 64, (x, out))
    assert out.tolist() == [48, 0, 1]


# --- atomics ---------------------------------------------------------------
def test_atomic_histogram_counts_every_byte(atomics):
    data = np.random.default_rng(5).integers(0, 256, 20000).astype(np.uint8)
    hist = np.zeros(256, np.int32)
    atomics.get_function("histogram256")(8, 128, (data, np.int32(data.size), hist))
    np.testing.assert_array_equal(hist, np.bincount(data, minlength=256))


def test_float_atomic_add_sums_all_elements(atomics):
    x = np.full(5000, 0.5, np.float32)
    total = np.zeros(1, np.float32)
    atomics.get_function("atomic_sum")(20, 256, (x, np.int32(x.size), total))
    assert total[0] == 2500.0  # exact: every partial sum is representable


def test_max_min_cas_and_64_bit_atomics(atomics):
    x = np.random.default_rng(2).integers(-1000, 1000, 3000).astype(np.int32)
    mx, mn = np.array([-2**31], np.int32), np.array([2**31 - 1], np.int32)
    cnt, s64, dsum, first = (np.zeros(1, np.uint32), np.zeros(1, np.uint64), np.zeros(1, np.float64),
                             np.array([-1], np.int32))
    atomics.get_function("atomic_mix")(12, 256, (x, np.int32(x.size), mx, mn, cnt, s64, dsum, first))
    assert (mx[0], mn[0], cnt[0]) == (x.max(), x.min(), x.size)
    assert int(s64[0]) == int(x.astype(np.int64).sum()) % 2**64
    assert dsum[0] == x.sum()
    assert first[0] == 7


# --- the kernels are real CUDA ---------------------------------------------
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_test_kernels_compile_with_nvcc():
    for cu in sorted(KERNELS.glob("emu_*.cu")):
        r = subprocess.run(["nvcc", "--ptx", "-arch=sm_80", "-o", "/dev/null", str(cu)],
                           capture_output=True, text=True)
        assert r.returncode == 0, f"{cu.name}:\n{r.stderr}"


def test_portable_ucontext_fibers_give_the_same_results():
    mod = emu.RawModule(path=KERNELS / "emu_scan.cu", options=("-DEMU_USE_UCONTEXT",))
    x = np.arange(1, 129, dtype=np.float32)
    y = np.zeros_like(x)
    with emu.schedule("shuffle"):
        mod.get_function("scan_hillis_steele")(1, 128, (x, y, np.int32(128)))
    np.testing.assert_array_equal(y, np.cumsum(x))


def test_partial_last_warp_votes_over_existing_lanes_only(warp):
    x = np.ones(48, np.int32)
    out_b, out_any, out_all = np.zeros(2, np.uint32), np.zeros(2, np.int32), np.zeros(2, np.int32)
    warp.get_function("votes")(1, 48, (x, out_b, out_any, out_all))
    assert out_b.tolist() == [0xFFFFFFFF, 0xFFFF]
    assert out_all.tolist() == [1, 1]


def test_file_scope_dynamic_shared_constant_and_device_globals():
    src = """
    extern __shared__ int smem[];
    __constant__ int offsets[2] = {100, 200};
    __device__ int launches;
    extern "C" __global__ void k(int* out) {
        smem[threadIdx.x] = threadIdx.x + offsets[blockIdx.x];
        __syncthreads();
        out[blockIdx.x * blockDim.x + threadIdx.x] = smem[blockDim.x - 1 - threadIdx.x];
        if (threadIdx.x == 0) atomicAdd(&launches, 1);
    }
    """
    out = np.zeros(16, np.int32)
    emu.RawModule(code=src).get_function("k")(2, 8, (out,), shared_mem=8 * 4)
    np.testing.assert_array_equal(out, np.r_[np.arange(7, -1, -1) + 100, np.arange(7, -1, -1) + 200])
