"""Chapter 00 demo: one op, three implementations, one answer.

    python chapters/00_setup/demo.py [--quick] [--refresh-figures]

1. runs axpy and rowsum on every backend that works here and compares them;
2. shows why float comparisons need tolerances: each implementation adds the
   numbers of a row in a different order, so float32 rounding differs — the
   figure plots each one's error against an exact (float64) sum;
3. shows the emulator catching a bug that only a GPU would otherwise reveal:
   a block reduction without __syncthreads gives the right answer in one
   thread order and a wrong one in another.

The figure goes to build/figures/00_setup/ (untracked); --refresh-figures
writes the committed one in figures/.
"""
import argparse
import os

import numpy as np

import pystory
from pystory.bench import add_output_args, figure_path, save_figure

HERE = os.path.dirname(os.path.abspath(__file__))

RACY_KERNEL = r"""
// A block-wide sum in shared memory with the __syncthreads() calls forgotten.
extern "C" __global__ void racy_sum(float* out, const float* x, int n) {
    __shared__ float partial[256];
    int t = threadIdx.x;
    partial[t] = t < n ? x[t] : 0.0f;
    // missing: __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        // missing: __syncthreads();
    }
    if (t == 0) out[0] = partial[0];
}
"""


def backends():
    names = []
    for name in ("numpy", "c", "emu", "cuda"):
        try:
            pystory.backend(name)
            names.append(name)
        except pystory.BackendUnavailable as e:
            print(f"  ({name} skipped: {str(e).split('. ')[0]})")
    return names


def agreement(names):
    print("\n1. The same op on every backend")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5).astype(np.float32)
    y = rng.standard_normal(5).astype(np.float32)
    for name in names:
        be = pystory.backend(name)
        out = be.to_numpy(be.axpy(2.0, be.asarray(x), be.asarray(y)))
        print(f"  {name:<6} axpy(2, x, y) = {np.array2string(out, precision=4)}")
    m = rng.standard_normal((3, 1000)).astype(np.float32)
    exact = m.astype(np.float64).sum(axis=1)
    for name in names:
        be = pystory.backend(name)
        out = be.to_numpy(be.rowsum(be.asarray(m)))
        print(f"  {name:<6} rowsum: max |error| vs float64 = {np.abs(out - exact).max():.2e}")


def rounding_figure(names, quick=False, refresh=False):
    print("\n2. Why tests compare floats with a tolerance")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(1)
    lengths = [16, 64, 256, 1024] if quick else [16, 64, 256, 1024, 4096, 16384]
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        be = pystory.backend(name)
        errs = []
        for C in lengths:
            m = rng.standard_normal((64, C)).astype(np.float32)
            exact = m.astype(np.float64).sum(axis=1)
            errs.append(np.abs(be.to_numpy(be.rowsum(be.asarray(m))) - exact).mean())
        ax.loglog(lengths, errs, "o-", label=name)
        print(f"  {name:<6} mean |error| of a float32 row sum of {lengths[-1]} numbers: {errs[-1]:.2e}")
    ax.set_xlabel("row length C")
    ax.set_ylabel("mean |float32 sum - exact sum|")
    ax.set_title("rowsum: every summation order rounds differently")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, figure_path(HERE, "rowsum_rounding.png", refresh), dpi=110)
    plt.close(fig)


def race_demo():
    print("\n3. The emulator catches a missing __syncthreads")
    from pystory import emu
    kernel = emu.RawModule(code=RACY_KERNEL).get_function("racy_sum")
    x = np.arange(256, dtype=np.float32)
    for order in ("forward", "reverse"):
        out = np.zeros(1, np.float32)
        with emu.schedule(order):
            kernel((1,), (256,), (out, x, np.int32(256)))
        verdict = "right" if out[0] == x.sum() else "WRONG"
        print(f"  threads run in {order:<7} order: sum = {out[0]:>8.0f} (expected {x.sum():.0f}) — {verdict}")
    print("  On a GPU the order is whatever the hardware picks; the emulator lets a test try several.")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (a few seconds; what the tests run)")
    args = add_output_args(p).parse_args(argv)
    print("Chapter 00 — one op, three implementations")
    names = backends()
    agreement(names)
    rounding_figure(names, args.quick, args.refresh_figures)
    if "emu" in names:
        race_demo()


if __name__ == "__main__":
    main()
