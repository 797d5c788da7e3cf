"""Chapter 01, part 1: the pre-tokenizer — text (bytes) cut into words, the NumPy reference.

BPE never merges across word boundaries, so the text is first cut into
words. Words travel as a flat array plus offsets, exactly like a CSR matrix:
word w is data[offsets[w]:offsets[w+1]].

    pretokenize(data)              -> offsets
    unique_words(data, offsets)    -> (first, counts)

The C port (csrc/tokenizer.c) and the CUDA kernels (cuda/tokenizer.cu) have
the same names and arguments; pystory/bpe.py holds the merges, and
pystory/tokenizer.py the tokenizers built on both.
"""
import re

import numpy as np

from pystory.declare import array, declare, int32, uint8

__all__ = ["pretokenize", "unique_words"]

# The rule is defined on BYTES, so C and CUDA run it too. Each byte has
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


def offsets_bound_words(offsets, N, xp):
    """Word w is data[offsets[w]:offsets[w+1]], and C and CUDA read it so: the offsets
    must start at 0, never decrease and end at N, the length of the data."""
    if int(offsets[0]) != 0 or int(offsets[-1]) != N or bool(xp.any(offsets[1:] < offsets[:-1])):
        return f"argument 'offsets' must start at 0, never decrease and end at the data length {N}"


def words_example(N, W, rng):
    """For the generated test calls: W words cut from N bytes at random (some may be empty)."""
    cuts = np.sort(rng.integers(0, N + 1, W - 1))
    return {"offsets": np.concatenate([[0], cuts, [N]]).astype(np.int32)}


DATA = array(uint8, "(N,)")
OFFSETS = array(int32, "(W+1,)")


@declare(data=DATA, returns="offsets int32 (W+1,)")
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


@declare(data=DATA, offsets=OFFSETS, checks=[offsets_bound_words], example=words_example,
         returns="first int32 (U,), counts int32 (U,)")
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


def split_words_regex(data):
    """The pre-tokenizer as the regular expression above (the spec): list of byte strings."""
    return re.findall(SPLIT_PATTERN, data)
