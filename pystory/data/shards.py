"""Token shards: a tokenized corpus on disk, read back with np.memmap.

File format (all integers little-endian)
----------------------------------------
    offset  size   what
    0       256    header: 64 uint32 values
                     [0] magic       0x59545350 (the bytes b"PSTY")
                     [1] version     2
                     [2] vocab_size  number of token ids (ids are 0..vocab_size-1)
                     [3] n_tokens    low 32 bits of the token count
                     [4] n_tokens    high 32 bits of the token count
                     [5] width       bytes per token: 2 (uint16) or 4 (uint32)
                     [6] eot_id      id of <|endoftext|>, or 0xFFFFFFFF if none
                     [7] crc32       CRC-32 of the header (with this field 0) and the tokens
                     [8..63]         0 (reserved)
    256     n*width  the tokens, uint16 when vocab_size <= 65536, else uint32

Why this way: a fixed 256-byte header keeps the tokens aligned and lets
`np.memmap(path, offset=256)` view a multi-gigabyte shard without copying
it; uint16 halves the size for every vocabulary up to 65,536 (the byte
tokenizer's 257 and chapter 01's BPE at 4,096 alike), so the format does not
change when BPE arrives.

What is checked, and when. `read_header` checks everything it can without
reading the tokens: truncated header, magic, version, width, reserved
fields, that the file has exactly the bytes the header promises (before any
view is made), the vocabulary. `read_shard` then reads the tokens once, in
chunks: the CRC-32 must match (a flipped byte anywhere is caught) and every
id must be below vocab_size (a bad id is refused here, naming the shard, not
many steps later inside an embedding lookup). That pass costs about 0.2 s
per 100 M tokens. Version 1 shards (no checksum) are refused: re-tokenize.
"""
from __future__ import annotations

import os
import zlib
from dataclasses import dataclass

import numpy as np

from pystory.atomic import atomic_open

MAGIC = 0x59545350            # b"PSTY" read as a little-endian uint32
VERSION = 2
HEADER_BYTES = 256
HEADER_INTS = HEADER_BYTES // 4
NO_EOT = 0xFFFFFFFF
CRC_FIELD = 7
CHUNK = 1 << 24               # tokens per pass when checking a shard (bounded memory on huge shards)


@dataclass(frozen=True)
class ShardHeader:
    version: int
    vocab_size: int
    n_tokens: int
    width: int                # bytes per token
    eot_id: int | None
    crc32: int = 0

    @property
    def dtype(self):
        return np.dtype("<u2") if self.width == 2 else np.dtype("<u4")


def token_dtype(vocab_size: int) -> np.dtype:
    """uint16 when every id fits in 16 bits, else uint32."""
    return np.dtype("<u2") if vocab_size <= 65536 else np.dtype("<u4")


def write_shard(path, tokens, vocab_size: int, eot_id: int | None = None) -> ShardHeader:
    """Write tokens (any integer array, shape (n,)) as a shard, atomically.

    Raises ValueError when a token is outside [0, vocab_size).
    """
    path = os.fspath(path)
    tokens = np.asarray(tokens)
    if tokens.ndim != 1:
        raise ValueError(f"write_shard({path}): tokens must be 1-D, got shape {tokens.shape}")
    if tokens.size and not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"write_shard({path}): tokens must be integers, got {tokens.dtype}")
    if not 1 <= vocab_size < 2 ** 32:
        raise ValueError(f"write_shard({path}): vocab_size must be in [1, 2**32), got {vocab_size}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(f"write_shard({path}): token ids must be in [0, {vocab_size}), "
                         f"got min {tokens.min()} max {tokens.max()}")
    if eot_id is not None and not 0 <= eot_id < vocab_size:
        raise ValueError(f"write_shard({path}): eot_id {eot_id} outside [0, {vocab_size})")
    dtype = token_dtype(vocab_size)
    n = int(tokens.size)
    header = np.zeros(HEADER_INTS, dtype="<u4")
    header[:7] = [MAGIC, VERSION, vocab_size, n & 0xFFFFFFFF, n >> 32, dtype.itemsize,
                  NO_EOT if eot_id is None else eot_id]
    body = tokens.astype(dtype, copy=False).tobytes()
    header[CRC_FIELD] = zlib.crc32(body, zlib.crc32(header.tobytes()))   # computed with the field still 0

    with atomic_open(path, "wb") as f:
        f.write(header.tobytes())
        f.write(body)
    return ShardHeader(VERSION, vocab_size, n, dtype.itemsize, eot_id, int(header[CRC_FIELD]))


def read_header(path, expected_vocab: int | None = None) -> ShardHeader:
    """Read and validate a shard's header; ValueError names the file and the problem."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"shard not found: {path}")
    size = os.path.getsize(path)
    if size < HEADER_BYTES:
        raise ValueError(f"{path}: truncated shard: {size} bytes, smaller than the {HEADER_BYTES}-byte header")
    with open(path, "rb") as f:
        h = np.frombuffer(f.read(HEADER_BYTES), dtype="<u4")
    if h[0] != MAGIC:
        raise ValueError(f"{path}: not a pystory shard: bad magic number {int(h[0]):#010x} "
                         f"(expected {MAGIC:#010x})")
    if h[1] != VERSION:
        old = " (an older pystory's, without a checksum)" if h[1] == 1 else ""
        raise ValueError(f"{path}: unknown shard version {int(h[1])}{old}; this reader knows version {VERSION}: "
                         f"re-tokenize with `python -m pystory data tokenize --corpus FOLDER`")
    if h[8:].any():
        raise ValueError(f"{path}: corrupt shard: reserved header fields are not zero")
    vocab, n, width, eot = int(h[2]), int(h[3]) | (int(h[4]) << 32), int(h[5]), int(h[6])
    if vocab < 1:
        raise ValueError(f"{path}: corrupt shard: vocab size 0")
    if eot != NO_EOT and eot >= vocab:
        raise ValueError(f"{path}: corrupt shard: eot id {eot} is not below the vocab size {vocab}")
    if width not in (2, 4) or width != token_dtype(vocab).itemsize:
        raise ValueError(f"{path}: bad token width {width} for vocab size {vocab}")
    expected_size = HEADER_BYTES + n * width
    if size != expected_size:
        what = "truncated" if size < expected_size else "too long"
        raise ValueError(f"{path}: {what}: header says {n} tokens ({expected_size} bytes) "
                         f"but the file has {size} bytes")
    if expected_vocab is not None and vocab != expected_vocab:
        raise ValueError(f"{path}: vocab mismatch: shard has vocab size {vocab}, "
                         f"expected {expected_vocab} (tokenized with another tokenizer?)")
    return ShardHeader(int(h[1]), vocab, n, width, None if eot == NO_EOT else eot, int(h[CRC_FIELD]))


def read_shard(path, expected_vocab: int | None = None):
    """(tokens, header): tokens is a read-only np.memmap of shape (n_tokens,), checked in full:
    its CRC-32, and every id below the vocab size (ValueError names the shard)."""
    path = os.fspath(path)
    header = read_header(path, expected_vocab)
    with open(path, "rb") as f:
        raw = np.frombuffer(f.read(HEADER_BYTES), dtype="<u4").copy()
    raw[CRC_FIELD] = 0
    crc = zlib.crc32(raw.tobytes())
    if header.n_tokens == 0:                 # np.memmap cannot map zero bytes
        tokens = np.zeros(0, header.dtype)
        tokens.flags.writeable = False
    else:
        tokens = np.memmap(path, dtype=header.dtype, mode="r", offset=HEADER_BYTES, shape=(header.n_tokens,))
    top = -1
    for i in range(0, header.n_tokens, CHUNK):
        chunk = np.asarray(tokens[i:i + CHUNK])
        crc = zlib.crc32(chunk, crc)
        top = max(top, int(chunk.max()))
    if crc != header.crc32:
        raise ValueError(f"{path}: corrupt shard: checksum mismatch (the file changed after it was written); "
                         f"re-tokenize it")
    if top >= header.vocab_size:
        where = int(np.flatnonzero(np.asarray(tokens) >= header.vocab_size)[0])
        raise ValueError(f"{path}: token {where} is id {int(tokens[where])}, not below the vocab size "
                         f"{header.vocab_size}; re-tokenize this shard")
    return tokens, header
