"""Chapter 01: tokenizers, text (bytes) <-> token ids, and the NumPy reference of byte-level BPE.

Interface every tokenizer in pystory follows:
    tok.vocab_size          number of ids
    tok.eot_id              id of <|endoftext|>
    tok.encode(text)        str | bytes -> np.ndarray int32 (specials recognised)
    tok.decode(ids)         ids -> bytes
    load_tokenizer(spec)    "byte" or a path to a saved tokenizer

Two tokenizers live here:
    ByteTokenizer   ids 0..255 are the bytes, 256 is <|endoftext|>.
    BPETokenizer    the same 256 byte ids, then one id per learned merge
                    (256, 257, ...), then <|endoftext|> as the LAST id:
                    eot_id = 256 + n_merges, vocab_size = 257 + n_merges.

The ops they run are the "tokenizer" layer, in two short NumPy references
(with their C port csrc/tokenizer.c and CUDA kernels cuda/tokenizer.cu):
    pystory/pretokenize.py   pretokenize, unique_words       text -> words
    pystory/bpe.py           bpe_count_pairs, bpe_merge, bpe_train, bpe_encode
This module sits above the backend registry: BPETokenizer picks a backend
(`backend=`) and runs the ops there; it also reads and writes the merges file.
"""
import os
import zlib

import numpy as np

from pystory.atomic import write_text_atomic
from pystory.bpe import MAX_VOCAB, N_BYTES, bpe_count_pairs, bpe_encode, bpe_merge, bpe_train  # noqa: F401
from pystory.pretokenize import (BYTE_CLASS, SPACE, SPLIT_PATTERN, SPLIT_PATTERN_STR,  # noqa: F401
                                 pretokenize, split_words_regex, unique_words)

EOT = "<|endoftext|>"
EOT_BYTES = EOT.encode()

__all__ = ["ByteTokenizer", "BPETokenizer", "load_tokenizer", "EOT"]

# --- tokenizers ----------------------------------------------------------------

def as_bytes(text, where):
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"{where}: text must be str or bytes, got {type(text).__name__}")


def split_special(data):
    """The pieces of `data` between <|endoftext|> markers (the markers removed)."""
    return data.split(EOT_BYTES)


class ByteTokenizer:
    """256 byte ids plus <|endoftext|> (id 256). Any byte string round-trips."""

    name = "byte"

    def __init__(self):
        self.vocab_size = 257
        self.eot_id = 256

    def encode(self, text):
        data = as_bytes(text, "ByteTokenizer.encode")
        out = []
        for i, piece in enumerate(split_special(data)):
            if i:
                out.append(np.array([self.eot_id], dtype=np.int32))
            out.append(np.frombuffer(piece, dtype=np.uint8).astype(np.int32))
        return np.concatenate(out) if out else np.zeros(0, np.int32)

    def decode(self, ids):
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"ByteTokenizer.decode: ids must be in [0, {self.vocab_size}), "
                             f"got min {ids.min()} max {ids.max()}")
        parts = []
        for i in ids.tolist():
            parts.append(EOT_BYTES if i == self.eot_id else bytes([i]))
        return b"".join(parts)


MERGES_HEADER = "pystory-bpe v1"          # the first line of a version-1 merges file
MERGES_MAGIC = "pystory-bpe v2"           # version 2: "pystory-bpe v2 merges M crc32 XXXXXXXX"


def merges_crc32(merges):
    """CRC-32 of the merges as little-endian int32 pairs (comments may change, the merges may not)."""
    return zlib.crc32(np.ascontiguousarray(merges, "<i4").tobytes())


class BPETokenizer:
    """Byte-level BPE: ids 0..255 are bytes, 256 + m is merge m, eot_id = 256 + M is last.

        tok = BPETokenizer.train(text, vocab_size=1024, backend="c")
        ids = tok.encode("Once upon a time<|endoftext|>")
        tok.decode(ids) == b"Once upon a time<|endoftext|>"
        tok.save("tok.bpe")                   # + tok.bpe.vocab, for humans
        tok = load_tokenizer("tok.bpe")

    `backend` ("numpy", "c", "cuda", "emu") chooses who runs the ops.
    """

    name = "bpe"

    def __init__(self, merges, backend="numpy"):
        merges = np.ascontiguousarray(merges, dtype=np.int32).reshape(-1, 2)
        self.merges = merges
        self.backend = backend
        self.eot_id = N_BYTES + len(merges)
        self.vocab_size = self.eot_id + 1
        vocab = [bytes([i]) for i in range(N_BYTES)]
        for a, b in merges.tolist():
            vocab.append(vocab[a] + vocab[b])
        vocab.append(EOT_BYTES)
        self.vocab = vocab

    def _be(self, backend=None):
        import pystory
        name = backend or self.backend
        if name == "auto":  # the C port when it is built, else the reference
            try:
                return pystory.backend("c")
            except pystory.BackendUnavailable:
                return pystory.backend("numpy")
        return pystory.backend(name)

    # -- training --
    @classmethod
    def train(cls, text, vocab_size, backend="numpy"):
        """Learn merges from `text` until the vocab (256 bytes + merges + eot) has vocab_size ids."""
        import pystory
        data = as_bytes(text, "BPETokenizer.train")
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)):
            raise TypeError(f"BPETokenizer.train: vocab_size must be an int, got {type(vocab_size).__name__}")
        if not N_BYTES + 1 <= vocab_size <= MAX_VOCAB:
            raise ValueError(f"BPETokenizer.train: vocab_size must be in [{N_BYTES + 1}, {MAX_VOCAB}] "
                             f"(256 bytes + merges + <|endoftext|>), got {vocab_size}")
        be = pystory.backend(backend)
        words, offsets, _ = _pretokenize_pieces(be, data)
        first, counts = be.unique_words(words, offsets)
        starts, ends = offsets[first].astype(np.int64), offsets[first + 1].astype(np.int64)
        lens = ends - starts
        uoffsets = np.zeros(len(first) + 1, np.int32)
        np.cumsum(lens, out=uoffsets[1:])
        idx = np.repeat(starts - uoffsets[:-1], lens) + np.arange(int(uoffsets[-1]))
        udata = words[idx] if idx.size else np.zeros(0, np.uint8)
        merges = be.bpe_train(be.asarray(udata), be.asarray(uoffsets), be.asarray(counts),
                              int(vocab_size) - N_BYTES - 1)
        return cls(be.to_numpy(merges), backend=backend)

    # -- encoding --
    def encode(self, text, backend=None):
        """str | bytes -> int32 ids; <|endoftext|> becomes eot_id and is never split or merged."""
        data = as_bytes(text, "BPETokenizer.encode")
        be = self._be(backend)
        words, offsets, piece_ends = _pretokenize_pieces(be, data)
        ids, tok_offsets = be.bpe_encode(be.asarray(words), be.asarray(offsets), be.asarray(self.merges))
        ids, tok_offsets = be.to_numpy(ids), be.to_numpy(tok_offsets)
        # an eot after every piece but the last
        at = tok_offsets[piece_ends[:-1]]
        return np.insert(ids, at, self.eot_id).astype(np.int32)

    def decode(self, ids):
        """ids -> bytes (any byte string round-trips)."""
        ids = np.asarray(ids)
        if ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"BPETokenizer.decode: ids must be integers in [0, {self.vocab_size})")
        vocab = self.vocab
        return b"".join([vocab[i] for i in ids.ravel().tolist()])

    # -- files --
    def save(self, path):
        """Write the merges file `path` and a vocab dump `path + '.vocab'` (both atomically)."""
        lines = [f"{MERGES_MAGIC} merges {len(self.merges)} crc32 {merges_crc32(self.merges):08x}",
                 f"# vocab_size {self.vocab_size}: ids 0-255 are bytes, merge m (line m below) makes id 256+m,",
                 f"# <|endoftext|> is id {self.eot_id} (the last id). One merge per line: left_id right_id",
                 ]
        for m, (a, b) in enumerate(self.merges.tolist()):
            lines.append(f"{a} {b}    # {_show(self.vocab[a])} + {_show(self.vocab[b])} -> {N_BYTES + m}")
        write_text_atomic(path, "\n".join(lines) + "\n")
        vocab = [f"{i}\t{_show(t)}" for i, t in enumerate(self.vocab[:-1])] + [f"{self.eot_id}\t{EOT}"]
        write_text_atomic(path + ".vocab", "id\ttoken (bytes as a Python literal)\n" + "\n".join(vocab) + "\n")

    @classmethod
    def load(cls, path, backend="auto"):
        """Read a merges file; a malformed, cut or edited one raises ValueError naming the file and line.

        Version 2 files start with "pystory-bpe v2 merges M crc32 C": the merge count and the
        CRC-32 of the merges must match what follows. Version 1 files (no checksum) must end
        with a newline and hold as many merges as their "# vocab_size" comment says.
        """
        with open(path, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: not a pystory BPE merges file (not UTF-8 text: {e.reason})") from None
        lines = text.split("\n")
        first = lines[0].strip().split()
        expect = None
        if len(first) == 6 and " ".join(first[:2]) == MERGES_MAGIC and first[2] == "merges" and first[4] == "crc32":
            try:
                expect = (int(first[3], 10), int(first[5], 16))
            except ValueError:
                expect = None
            if expect is None:
                raise ValueError(f"{path}:1: malformed first line {lines[0][:60]!r}")
        elif lines[0].strip() != MERGES_HEADER:
            raise ValueError(f"{path}:1: not a pystory BPE merges file (expected first line "
                             f"{MERGES_MAGIC!r} or {MERGES_HEADER!r}, got {lines[0][:40]!r})")
        if not text.endswith("\n"):
            raise ValueError(f"{path}:{len(lines)}: the file ends in the middle of a line (cut short?)")
        merges, stated_vocab = [], None
        for lineno, line in enumerate(lines[1:], start=2):
            if line.startswith("# vocab_size "):
                word = line[len("# vocab_size "):].split(":")[0]
                stated_vocab = int(word) if word.isdigit() else None
            body = line.split("#", 1)[0].strip()
            if not body:
                continue
            parts = body.split()
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise ValueError(f"{path}:{lineno}: expected two token ids 'left right', got {line.strip()[:60]!r}")
            a, b = int(parts[0]), int(parts[1])
            new_id = N_BYTES + len(merges)
            if a >= new_id or b >= new_id:
                raise ValueError(f"{path}:{lineno}: merge {a} {b} uses an id that does not exist yet "
                                 f"(ids so far are 0..{new_id - 1})")
            merges.append((a, b))
            if N_BYTES + len(merges) + 1 > MAX_VOCAB:
                raise ValueError(f"{path}: {len(merges)} merges make a vocab larger than {MAX_VOCAB}")
        merges = np.array(merges, np.int32).reshape(-1, 2)
        if expect is not None and (len(merges), merges_crc32(merges)) != expect:
            raise ValueError(f"{path}: corrupt merges file: the first line promises {expect[0]} merges with "
                             f"CRC-32 {expect[1]:08x}, the file holds {len(merges)} with "
                             f"{merges_crc32(merges):08x} (cut short or edited?)")
        if expect is None and stated_vocab is not None and stated_vocab != N_BYTES + len(merges) + 1:
            raise ValueError(f"{path}: corrupt merges file: it says vocab_size {stated_vocab} but holds "
                             f"{len(merges)} merges (vocab {N_BYTES + len(merges) + 1}; cut short?)")
        return cls(merges, backend=backend)


def _pretokenize_pieces(be, data):
    """Pre-tokenize the pieces between <|endoftext|> markers: (words, offsets, piece_ends),
    `words` being the pieces joined without the markers and piece_ends[k] the number of
    words in pieces 0..k. No word may reach across a marker, so each piece is cut as if it
    were the whole text; because the rule only looks at bytes i-1, i, i+1, one call on the
    joined bytes plus two repairs at every joint gives exactly that (no per-piece calls)."""
    pieces = split_special(data)
    words = np.frombuffer(b"".join(pieces), np.uint8)
    n = words.size
    offsets = be.to_numpy(be.pretokenize(be.asarray(words))).astype(np.int32)
    ends = np.cumsum([len(p) for p in pieces], dtype=np.int64)   # where each piece ends in `words`
    if len(pieces) > 1 and n:
        is_start = np.zeros(n + 1, bool)
        is_start[offsets] = True
        begins = np.concatenate([[0], ends[:-1]])
        long_enough = ends - begins >= 2
        # 1. a piece's first byte starts a word (rule 1), whatever came before it
        is_start[begins] = True
        # 2. its last byte has no next byte, so rule 3 cannot fire there
        last = ends[long_enough] - 1
        cls = BYTE_CLASS[words]
        is_start[last[(cls[last] == SPACE) & (cls[last - 1] == SPACE)]] = False
        is_start[n] = True
        offsets = np.flatnonzero(is_start).astype(np.int32)
    piece_ends = np.searchsorted(offsets[:-1], ends, side="left")
    return words, offsets, piece_ends


def _show(token):
    return repr(token)[1:]  # b'th' -> 'th': a Python bytes literal without its b


def load_tokenizer(spec, backend="auto"):
    """Return a tokenizer: "byte" for the byte tokenizer, else a path to a saved BPE merges file
    (encoded with `backend`; "auto": c when built, else numpy)."""
    if spec in (None, "byte"):
        return ByteTokenizer()
    if isinstance(spec, (str, os.PathLike)) and os.path.exists(spec):
        return BPETokenizer.load(os.fspath(spec), backend=backend)
    raise ValueError(f"load_tokenizer: {spec!r} is neither 'byte' nor an existing BPE merges file")
