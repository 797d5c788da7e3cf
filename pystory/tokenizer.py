"""Tokenizers: text (bytes) <-> token ids.

This file is the NumPy reference of chapter 01 (byte-level BPE). Until the
BPE lands, it holds the byte tokenizer every other part of pystory can use:
ids 0..255 are the bytes themselves and id 256 is the special token
<|endoftext|>, which separates stories.

Interface every tokenizer in pystory follows:
    tok.vocab_size          number of ids
    tok.eot_id              id of <|endoftext|>
    tok.encode(text)        str | bytes -> np.ndarray int32 (specials recognised)
    tok.decode(ids)         ids -> bytes
    load_tokenizer(spec)    "byte" or a path to a saved tokenizer
"""
import numpy as np

EOT = "<|endoftext|>"


class ByteTokenizer:
    """256 byte ids plus <|endoftext|> (id 256). Any byte string round-trips."""

    name = "byte"

    def __init__(self):
        self.vocab_size = 257
        self.eot_id = 256

    def encode(self, text):
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        eot = EOT.encode()
        pieces = data.split(eot)
        out = []
        for i, piece in enumerate(pieces):
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
            parts.append(EOT.encode() if i == self.eot_id else bytes([i]))
        return b"".join(parts)


def load_tokenizer(spec):
    """Return a tokenizer: "byte" for the byte tokenizer, else a saved file."""
    if spec in (None, "byte"):
        return ByteTokenizer()
    raise ValueError(f"load_tokenizer: unknown tokenizer {spec!r} (only 'byte' until chapter 01 lands)")
