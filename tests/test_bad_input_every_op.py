"""Nothing reachable from Python crashes: every op of every compiled backend,
given garbage for all of its arguments, raises TypeError or ValueError whose
message starts with the op's name — it never segfaults, hangs or returns."""
import inspect

import numpy as np
import pytest

import pystory

GARBAGE = {
    "float64 arrays": lambda: np.zeros(3, np.float64),
    "strided views": lambda: np.zeros((4, 6), np.float32)[:, ::2],
    "None": lambda: None,
    "lists": lambda: [1, 2, 3],
    "2-D int32 arrays": lambda: np.zeros((2, 2), np.int32),
    "negative ints": lambda: -5,
}


def required_params(fn):
    return [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]


@pytest.mark.parametrize("garbage", list(GARBAGE))
def test_every_op_rejects_garbage_with_a_named_error(device_backend, garbage):
    make = GARBAGE[garbage]
    problems = []
    for op in device_backend.ops:
        fn = getattr(device_backend, op)
        try:
            fn(*[make() for _ in required_params(fn)])
            problems.append(f"{op}: accepted {garbage}")
        except (TypeError, ValueError) as e:
            if not str(e).startswith(op):
                problems.append(f"{op}: message does not start with the op name: {e}")
    assert not problems, "\n".join(problems)
