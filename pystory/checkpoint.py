"""Chapter 06: GPT checkpoints — written atomically, validated on load.

File layout (little-endian):

    8 bytes   magic b"PYSTGPT1"
    8 bytes   uint64: length H of the header
    H bytes   header, UTF-8 JSON: config, tokenizer, dtype, sections, crc32, step, train_state
    ...       payload: the sections one after another (params, then m and v if saved)

The header lists every section with its dtype and element count, and the
CRC-32 of the whole payload, so a truncated or corrupted file is refused
before any number reaches a model. Parameters can be stored as float16 for
shipping (half the size; the model computes in float32 after loading);
training checkpoints keep float32 and the optimizer state, which is what
makes `--resume` exact.

Writes are atomic: the file is written under a temporary name, flushed to
disk, then renamed over the target, so a run killed mid-write leaves the
previous checkpoint intact.
"""
from __future__ import annotations

import json
import os
import struct
import zlib

import numpy as np

from pystory.atomic import atomic_open
from pystory.gpt import GPTConfig, num_params

__all__ = ["CheckpointError", "Checkpoint", "save_checkpoint", "load_checkpoint"]

MAGIC = b"PYSTGPT1"
FORMAT_VERSION = 1
DTYPES = {"float32": np.float32, "float16": np.float16}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and what is wrong."""


class Checkpoint:
    """What load_checkpoint returns: config, float32 params, optional m and v, and metadata."""

    def __init__(self, path, config, params, m, v, meta):
        self.path, self.config, self.params, self.m, self.v, self.meta = path, config, params, m, v, meta

    @property
    def step(self):
        return int(self.meta.get("step", 0))

    @property
    def tokenizer(self):
        return self.meta.get("tokenizer", "byte")

    @property
    def train_state(self):
        return self.meta.get("train_state") or {}


def save_checkpoint(path, model, *, step=0, tokenizer="byte", dtype="float32", optimizer=True,
                    train_state=None):
    """Write model (its params, and m, v if optimizer) to path, atomically."""
    if dtype not in DTYPES:
        raise ValueError(f"save_checkpoint: dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    be = model.be
    arrays = [("params", be.to_numpy(model.params).astype(DTYPES[dtype]))]
    if optimizer:
        arrays += [("m", be.to_numpy(model.m).astype(np.float32)),
                   ("v", be.to_numpy(model.v).astype(np.float32))]
    payload = b"".join(np.ascontiguousarray(a).tobytes() for _, a in arrays)
    header = {
        "format": FORMAT_VERSION,
        "config": model.cfg.to_dict(),
        "tokenizer": tokenizer,
        "step": int(step),
        "sections": [[name, a.dtype.name, int(a.size)] for name, a in arrays],
        "crc32": zlib.crc32(payload),
        "train_state": train_state or {},
    }
    hbytes = json.dumps(header).encode()
    path = os.fspath(path)
    with atomic_open(path, "wb") as f:   # readers see the old checkpoint or the new one, never half
        f.write(MAGIC + struct.pack("<Q", len(hbytes)) + hbytes + payload)
    return path


def load_checkpoint(path, *, expected_config=None, expected_vocab=None):
    """Read and validate a checkpoint; CheckpointError says which check failed."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read checkpoint: {e.strerror or e}") from None
    if len(data) < 16 or data[:8] != MAGIC:
        raise CheckpointError(f"{path}: not a pystory GPT checkpoint (bad magic; corrupt file or wrong format)")
    (hlen,) = struct.unpack("<Q", data[8:16])
    if 16 + hlen > len(data):
        raise CheckpointError(f"{path}: corrupt checkpoint: truncated header")
    try:
        header = json.loads(data[16:16 + hlen].decode())
        config = GPTConfig.from_dict(header["config"])
        sections = header["sections"]
        crc = int(header["crc32"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint: unreadable header ({e})") from None
    if header.get("format") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {header.get('format')} is not supported "
                              f"(this pystory reads format {FORMAT_VERSION})")
    payload = data[16 + hlen:]
    if zlib.crc32(payload) != crc:
        raise CheckpointError(f"{path}: corrupt checkpoint: checksum mismatch (the file was truncated "
                              f"or changed after it was written)")
    P = num_params(config)
    arrays, off = {}, 0
    for name, dtype, n in sections:
        if dtype not in DTYPES or n != P:
            raise CheckpointError(f"{path}: corrupt checkpoint: section {name!r} has {n} {dtype} values, "
                                  f"the config needs {P}")
        nbytes = n * np.dtype(dtype).itemsize
        if off + nbytes > len(payload):
            raise CheckpointError(f"{path}: corrupt checkpoint: section {name!r} runs past the end of the file")
        arrays[name] = np.frombuffer(payload, dtype=dtype, count=n, offset=off).astype(np.float32)
        off += nbytes
    if off != len(payload) or "params" not in arrays:
        raise CheckpointError(f"{path}: corrupt checkpoint: payload size does not match its sections")
    if expected_vocab is not None and config.vocab_size != expected_vocab:
        raise CheckpointError(f"{path}: checkpoint vocab size {config.vocab_size} does not match the "
                              f"tokenizer's {expected_vocab} (trained with another tokenizer?)")
    if expected_config is not None and config != expected_config:
        diff = ", ".join(f"{k} {getattr(config, k)} (expected {getattr(expected_config, k)})"
                         for k in config.to_dict() if getattr(config, k) != getattr(expected_config, k))
        raise CheckpointError(f"{path}: checkpoint is from another model config: {diff}")
    return Checkpoint(path, config, arrays["params"], arrays.get("m"), arrays.get("v"), header)
