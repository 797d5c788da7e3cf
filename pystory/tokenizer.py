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

The ops below are the NumPy reference of the "tokenizer" layer; the C port
(csrc/tokenizer.c) and the CUDA kernels (cuda/tokenizer.cu) have the same
names and arguments. Words travel as a flat array plus offsets, exactly like
a CSR matrix: word w is data[offsets[w]:offsets[w+1]].

    pretokenize(data)                          -> offsets
    unique_words(data, offsets)                -> (first, counts)
    bpe_count_pairs(ids, offsets, counts, V)   -> hist (V, V)
    bpe_merge(ids, offsets, a, b, new_id)      -> (ids, offsets)
    bpe_train(data, offsets, counts, n_merges) -> merges (M, 2)
    bpe_encode(data, offsets, merges)          -> (ids, token_offsets)
"""
import os
import re
import zlib

import numpy as np

from pystory.atomic import write_text_atomic

EOT = "<|endoftext|>"
EOT_BYTES = EOT.encode()
N_BYTES = 256
MAX_VOCAB = 65536  # shards store ids as uint16; the CUDA rank table packs a pair in 32 bits

__all__ = ["pretokenize", "unique_words", "bpe_count_pairs", "bpe_merge", "bpe_train", "bpe_encode"]

# --- the pre-tokenizer ---------------------------------------------------------
#
# BPE never merges across word boundaries, so the text is first cut into
# words. The rule is defined on BYTES, so C and CUDA run it too. Each byte has
# a class:
#     LETTER  A-Z a-z, and every byte >= 128 (so UTF-8 words stay whole)
#     DIGIT   0-9
#     SPACE   \t \n \v \f \r and ' '
#     PUNCT   everything else
# and a word is one of
#     ' '? LETTER+      an optional leading space plus letters   " story"
#     DIGIT+            digits                                   "2026"
#     PUNCT+            a punctuation run                        ".\""
#     SPACE+            a whitespace run; when a non-space follows a run of
#                       two or more, the run's last byte is left for the next
#                       word (GPT-2's habit: "  dog" -> " ", " dog")
# The same rule as a regular expression (Python's re on bytes; it is the
# spec the tests check the three implementations against):
SPLIT_PATTERN = (rb" ?[A-Za-z\x80-\xff]+|[0-9]+|[^\x09-\x0d A-Za-z0-9\x80-\xff]+"
                 rb"|[\x09-\x0d ]+(?![^\x09-\x0d ])|[\x09-\x0d ]+")
# The same on str, for tiktoken (non-ASCII characters are all "letters"; for
# valid UTF-8 it cuts exactly where the bytes rule does):
SPLIT_PATTERN_STR = (" ?(?:[A-Za-z]|[^\\x00-\\x7f])+|[0-9]+|[^\\x09-\\x0d A-Za-z0-9\\x80-\\x{10ffff}]+"
                     "|[\\x09-\\x0d ]+(?![^\\x09-\\x0d ])|[\\x09-\\x0d ]+")

LETTER, DIGIT, SPACE, PUNCT = 0, 1, 2, 3
BYTE_CLASS = np.full(256, PUNCT, np.uint8)
BYTE_CLASS[ord("A"):ord("Z") + 1] = LETTER
BYTE_CLASS[ord("a"):ord("z") + 1] = LETTER
BYTE_CLASS[128:] = LETTER
BYTE_CLASS[ord("0"):ord("9") + 1] = DIGIT
BYTE_CLASS[[9, 10, 11, 12, 13, 32]] = SPACE


def pretokenize(data):
    # data: (N,) uint8 -> offsets: (W+1,) int32; word w = data[offsets[w]:offsets[w+1]]
    # A word starts at byte i when one of three local rules holds, so every
    # byte can decide on its own (that is what the CUDA kernel does):
    #   1. i == 0;
    #   2. the class changes at i, except ' ' followed by a letter (the space
    #      leads the letter word);
    #   3. i is the last byte of a whitespace run of two or more and a
    #      non-space follows it.
    n = data.size
    if n == 0:
        return np.zeros(1, np.int32)
    cls = BYTE_CLASS[data]
    start = np.zeros(n, bool)
    start[0] = True                                                       # rule 1
    joined = (data[:-1] == ord(" ")) & (cls[1:] == LETTER)
    start[1:] = (cls[:-1] != cls[1:]) & ~joined                           # rule 2
    start[1:-1] |= (cls[:-2] == SPACE) & (cls[1:-1] == SPACE) & (cls[2:] != SPACE)  # rule 3
    return np.append(np.flatnonzero(start), n).astype(np.int32)


def unique_words(data, offsets):
    # data: (N,) uint8, offsets: (W+1,) -> first: (U,) int32, counts: (U,) int32
    # first[u] is the index of the first occurrence of the u-th distinct word,
    # in order of first appearance; counts[u] how often it occurs.
    # Training works on distinct words weighted by count: a corpus of 10^8
    # bytes has ~10^5 distinct words.
    raw = data.tobytes()
    first, counts = {}, {}
    for w, (s, e) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist())):
        word = raw[s:e]
        if word in counts:
            counts[word] += 1
        else:
            first[word], counts[word] = w, 1
    return (np.fromiter(first.values(), np.int32, len(first)),
            np.fromiter(counts.values(), np.int32, len(counts)))


# --- pairs and merges ----------------------------------------------------------

def _pair_positions(ids, offsets):
    # Positions i whose pair (ids[i], ids[i+1]) lies inside one word.
    n = ids.size
    inside = np.ones(max(n - 1, 0), bool)
    last = offsets[1:-1].astype(np.int64) - 1     # the last token of every word but the final one
    last = last[(last >= 0) & (last < n - 1)]
    inside[last] = False
    return np.flatnonzero(inside)


def _word_of(offsets):
    # (N,) the word each token belongs to.
    return np.repeat(np.arange(offsets.size - 1, dtype=np.int32), np.diff(offsets))


def bpe_count_pairs(ids, offsets, counts, vocab_size):
    # ids: (N,) int32 tokens of W words, offsets: (W+1,), counts: (W,) int32
    # -> hist: (V, V) int32, hist[a, b] = sum over words of count * (#times a b is adjacent)
    # Overlapping pairs count: "a a a" holds the pair (a, a) twice.
    i = _pair_positions(ids, offsets)
    weight = counts[_word_of(offsets)[i]]
    keys = ids[i].astype(np.int64) * vocab_size + ids[i + 1]
    hist = np.bincount(keys, weights=weight, minlength=vocab_size * vocab_size)
    return hist.astype(np.int32).reshape(vocab_size, vocab_size)


def bpe_merge(ids, offsets, a, b, new_id):
    # ids: (N,) int32, offsets: (W+1,) -> (ids: (N',) int32, offsets: (W+1,) int32)
    # Replace every pair (a, b) inside a word by new_id, scanning left to
    # right: "a a a a" with (a, a) becomes "aa aa", and "a a a" becomes "aa a".
    i = _pair_positions(ids, offsets)
    i = i[(ids[i] == a) & (ids[i + 1] == b)]
    if a == b and i.size:
        # A run of matches at i, i+1, i+2, ... overlaps itself; left to right
        # takes the 1st, 3rd, 5th, ... of each run.
        run_start = np.ones(i.size, bool)
        run_start[1:] = i[1:] != i[:-1] + 1
        start_pos = np.maximum.accumulate(np.where(run_start, np.arange(i.size), 0))
        i = i[(np.arange(i.size) - start_pos) % 2 == 0]
    out = ids.copy()
    out[i] = new_id
    out = np.delete(out, i + 1)
    # Each word shrinks by the number of deleted positions inside it.
    removed_before = np.searchsorted(i + 1, offsets, side="left")
    return out.astype(np.int32), (offsets - removed_before).astype(np.int32)


def bpe_train(data, offsets, counts, n_merges):
    # data: (N,) uint8 bytes of W distinct words, offsets: (W+1,), counts: (W,) int32
    # -> merges: (M, 2) int32, M <= n_merges; merge m makes token 256 + m.
    # Each step: count every adjacent pair (weighted by its word's count),
    # take the most frequent, ties to the smallest pair (a, b), merge it
    # everywhere. Stops early when no pair is left (every word is one token).
    # This recounts everything each step: simple and slow, O(n_merges * N log N).
    ids = data.astype(np.int32)
    offsets = offsets.astype(np.int32)
    merges = []
    V = N_BYTES + n_merges
    word_of = None
    for m in range(n_merges):
        i = _pair_positions(ids, offsets)
        if i.size == 0:
            break
        word_of = _word_of(offsets)
        keys = ids[i].astype(np.int64) * V + ids[i + 1]
        pairs, inverse = np.unique(keys, return_inverse=True)    # sorted: smallest pair first
        totals = np.bincount(inverse.ravel(), weights=counts[word_of[i]])
        best = int(np.argmax(totals))                            # the first maximum: the tie rule
        a, b = divmod(int(pairs[best]), V)
        merges.append((a, b))
        ids, offsets = bpe_merge(ids, offsets, a, b, N_BYTES + m)
    return np.array(merges, np.int32).reshape(-1, 2)


def bpe_encode(data, offsets, merges):
    # data: (N,) uint8, offsets: (W+1,), merges: (M, 2) int32
    # -> ids: (K,) int32, token_offsets: (W+1,) int32 (word w's tokens are ids[token_offsets[w]:token_offsets[w+1]])
    # Apply the merges in the order they were learned: repeatedly find the
    # lowest-ranked pair present anywhere and merge all of it. Merges absent
    # from the text cost nothing, so this loops once per merge actually used.
    ids = data.astype(np.int32)
    offsets = offsets.astype(np.int32)
    M = merges.shape[0]
    V = N_BYTES + M
    merge_keys = merges[:, 0].astype(np.int64) * V + merges[:, 1]
    order = np.argsort(merge_keys, kind="stable")  # a repeated merge keeps its first rank
    sorted_keys = merge_keys[order]
    while M:
        i = _pair_positions(ids, offsets)
        if i.size == 0:
            break
        keys = ids[i].astype(np.int64) * V + ids[i + 1]
        j = np.minimum(np.searchsorted(sorted_keys, keys), M - 1)
        ranks = np.where(sorted_keys[j] == keys, order[j], M)     # M = "not a merge"
        r = int(ranks.min())
        if r == M:
            break
        ids, offsets = bpe_merge(ids, offsets, int(merges[r, 0]), int(merges[r, 1]), N_BYTES + r)
    return ids, offsets


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


def split_words_regex(data):
    """The pre-tokenizer as the regular expression above (the spec): list of byte strings."""
    return re.findall(SPLIT_PATTERN, data)


def load_tokenizer(spec, backend="auto"):
    """Return a tokenizer: "byte" for the byte tokenizer, else a path to a saved BPE merges file
    (encoded with `backend`; "auto": c when built, else numpy)."""
    if spec in (None, "byte"):
        return ByteTokenizer()
    if isinstance(spec, (str, os.PathLike)) and os.path.exists(spec):
        return BPETokenizer.load(os.fspath(spec), backend=backend)
    raise ValueError(f"load_tokenizer: {spec!r} is neither 'byte' nor an existing BPE merges file")
