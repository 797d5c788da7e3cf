"""An op that writes an argument in place refuses a read-only array there, on every backend.

Read-only arrays come from three places a learner meets: a memmap opened with
mode="r" (a token shard), np.frombuffer of bytes, and setflags(write=False).
C would write into them anyway — a segfault for the memmap, silent damage for
the others — so the checker refuses them with a ValueError naming the argument.
Each backend runs in its own Python: if a check were missing, the segfault
must fail this test, not kill pytest.
"""
import json
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, os, sys, tempfile
import numpy as np
import pystory
from pystory.backend import declarations

be = pystory.backend(sys.argv[1])
tmp = tempfile.mkdtemp()


def read_only(kind, a):
    if kind == "memmap":
        path = os.path.join(tmp, "a.bin")
        a.tofile(path)
        return np.memmap(path, a.dtype, mode="r", shape=a.shape)
    if kind == "frombuffer":
        return np.frombuffer(a.tobytes(), a.dtype).reshape(a.shape)
    b = a.copy()
    b.setflags(write=False)
    return b


results = []
for op, decl in sorted(declarations().items()):
    for name in decl.writes:
        for kind in ("memmap", "frombuffer", "setflags"):
            args, _ = decl.example(np.random.default_rng(0))
            i = decl.names.index(name)
            before = args[i].copy()
            args[i] = read_only(kind, args[i])
            k = decl.positional
            try:
                getattr(be, op)(*args[:k], **dict(zip(decl.names[k:], args[k:])))
                got = "accepted"
            except Exception as e:
                got = f"{type(e).__name__}: {e}"
            unchanged = bool(np.array_equal(np.asarray(args[i]), before, equal_nan=True))
            results.append([op, name, kind, got, unchanged])
print(json.dumps(results))
"""


@pytest.mark.parametrize("name", ["numpy", "c", "emu"])
def test_every_op_that_writes_refuses_read_only_arrays(name):
    r = subprocess.run([sys.executable, "-c", SCRIPT, name], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"the {name} backend crashed (exit code {r.returncode}):\n{r.stderr[-2000:]}"
    results = json.loads(r.stdout.strip().splitlines()[-1])
    assert {op for op, *_ in results} >= {"adamw_update", "scale_inplace", "clip_grad_norm"}
    problems = [f"{op}: '{arg}' as a {kind} array: {got}" for op, arg, kind, got, unchanged in results
                if not (got.startswith(f"ValueError: {op}: argument '{arg}' is read-only") and unchanged)]
    assert not problems, "\n".join(problems)
