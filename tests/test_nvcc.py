"""Every cuda/*.cu compiles with nvcc for sm_80 and sm_90, so a construct that
only the emulator accepts is caught even on a machine without a GPU."""
import glob
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "cuda", "*.cu")))
NVCC = shutil.which("nvcc")


@pytest.mark.skipif(NVCC is None, reason="nvcc not on PATH (install the CUDA toolkit to run this check)")
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("source", SOURCES, ids=[os.path.basename(s) for s in SOURCES])
def test_kernel_file_compiles_with_nvcc(source, arch, tmp_path):
    r = subprocess.run([NVCC, "--ptx", f"-arch={arch}", "-std=c++17", "-I", os.path.join(ROOT, "cuda"),
                        source, "-o", str(tmp_path / "out.ptx")], capture_output=True, text=True)
    assert r.returncode == 0, f"nvcc failed on {os.path.basename(source)} ({arch}):\n{r.stderr}"
