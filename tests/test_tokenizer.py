"""Chapter 01: byte-level BPE — numpy, c, emu (and cuda) learn the same merges and give the same ids."""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pystory
from pystory import tokenizer as T
from pystory.testing import assert_agree
from pystory.tokenizer import EOT, BPETokenizer, load_tokenizer

ref = pystory.backend("numpy")


def u8(b):
    return np.frombuffer(bytes(b), np.uint8)


def words_of(data, offsets):
    return [bytes(data[s:e]) for s, e in zip(offsets[:-1].tolist(), offsets[1:].tolist())]


def small_for(backend, big, small):
    """Emulated kernels run every thread as a fiber on the CPU: give them less work."""
    return small if backend.name == "emu" else big


TEXTS = {
    "empty": b"",
    "one byte": b"x",
    "english": b"Once upon a time, a little dog named Max ran 42 miles!\n\nThe end.",
    "spaces": b"a  b   c\t\td \n e\n\nf   ",
    "scripts": "Zoë's café — Привет мир, 你好世界, مرحبا, 🐶 dogs!".encode(),
    "invalid utf-8": b"\xff\xfe abc \xc3( \x80\x80 \xed\xa0\x80 end\x00\x01",
    "digits and punct": b"3.14159, (x+y)*2 == 10?? ...!!!",
}

STORY = (b"Once upon a time, there was a little dog named Max. Max liked to run in the park. "
         b"One day, Max saw a big red ball. \"Can I play?\" Max asked. The ball was his friend.\n\n"
         b"Max and Lily played all day. They were very happy. The end.")


@pytest.fixture(scope="module")
def stories():
    """Storyworld text (the default corpus); a fixed story when storyworld is missing."""
    try:
        from pystory.data.storyworld import generate_stories
    except ImportError:
        return EOT.encode().join([STORY] * 20)
    return EOT.join(generate_stories(30, seed=1)).encode()


# --- the pre-tokenizer -------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TEXTS))
def test_pretokenize_cuts_where_the_regex_cuts(backend, name):
    data = TEXTS[name]
    offsets = backend.to_numpy(backend.pretokenize(backend.asarray(u8(data))))
    assert words_of(u8(data), offsets) == re.findall(T.SPLIT_PATTERN, data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40) | st.text(alphabet=" \t\n\r\x0bab.,1é", max_size=30).map(str.encode))
def test_reference_pretokenizer_is_the_regex_on_any_bytes(data):
    offsets = ref.pretokenize(u8(data))
    assert words_of(u8(data), offsets) == re.findall(T.SPLIT_PATTERN, data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_c_pretokenizer_matches_reference_on_any_bytes(data):
    c = pystory.backend("c")
    assert_agree(c.pretokenize(u8(data)), ref.pretokenize(u8(data)), name="pretokenize")


def test_pretokenize_gives_a_leading_space_to_letters_only():
    data = b"the dog  ran 12 .x"
    assert words_of(u8(data), ref.pretokenize(u8(data))) == [b"the", b" dog", b" ", b" ran", b" ", b"12", b" ", b".", b"x"]


def test_pretokenize_keeps_utf8_words_whole():
    data = "un café naïve 你好".encode()
    assert words_of(u8(data), ref.pretokenize(u8(data))) == [w.encode() for w in ["un", " café", " naïve", " 你好"]]


def test_pretokenize_leaves_trailing_whitespace_in_one_word():
    data = b"end.\n\n  "
    assert words_of(u8(data), ref.pretokenize(u8(data))) == [b"end", b".", b"\n\n  "]


# --- pairs, merges and training ---------------------------------------------

def test_wikipedia_example_known_answer(backend):
    # en.wikipedia.org/wiki/Byte_pair_encoding: aaabdaaabac -> ZabdZabac -> ZYdZYac -> XdXac
    data = u8(b"aaabdaaabac")
    merges = backend.bpe_train(backend.asarray(data), backend.asarray(np.array([0, 11], np.int32)),
                               backend.asarray(np.array([1], np.int32)), 3)
    assert backend.to_numpy(merges).tolist() == [[97, 97], [97, 98], [256, 257]]  # Z = aa, Y = ab, X = ZY
    ids, offsets = backend.bpe_encode(backend.asarray(data), backend.asarray(np.array([0, 11], np.int32)), merges)
    assert backend.to_numpy(ids).tolist() == [258, ord("d"), 258, ord("a"), ord("c")]  # X d X a c
    assert backend.to_numpy(offsets).tolist() == [0, 5]


def test_merge_applies_left_to_right_in_runs(backend):
    ids = np.array([1, 1, 1, 1, 1, 1, 1, 5, 1, 1], np.int32)   # words: aaaa | aaa | b | aa
    offsets = np.array([0, 4, 7, 8, 10], np.int32)
    out, out_offsets = backend.bpe_merge(backend.asarray(ids), backend.asarray(offsets), 1, 1, 9)
    assert backend.to_numpy(out).tolist() == [9, 9, 9, 1, 5, 9]
    assert backend.to_numpy(out_offsets).tolist() == [0, 2, 4, 5, 6]


def test_merge_never_crosses_words(backend):
    ids, offsets = np.array([1, 2, 1, 2], np.int32), np.array([0, 1, 3, 4], np.int32)  # a | b a | b
    out, _ = backend.bpe_merge(backend.asarray(ids), backend.asarray(offsets), 1, 2, 7)
    assert backend.to_numpy(out).tolist() == [1, 2, 1, 2]


def test_count_pairs_weights_by_word_count_and_counts_overlaps(backend):
    ids = np.array([3, 3, 3, 1, 2, 2, 3], np.int32)   # "ccc" x2, "ab" x5, "bc" x1
    offsets = np.array([0, 3, 5, 7], np.int32)
    counts = np.array([2, 5, 1], np.int32)
    hist = backend.to_numpy(backend.bpe_count_pairs(*map(backend.asarray, (ids, offsets, counts)), 4))
    want = np.zeros((4, 4), np.int32)
    want[3, 3], want[1, 2], want[2, 3] = 4, 5, 1
    assert_agree(hist, want, name="hist")


def test_ties_go_to_the_smallest_pair(backend):
    data, offsets = u8(b"cdab"), np.array([0, 2, 4], np.int32)   # "cd" and "ab", once each
    merges = backend.bpe_train(backend.asarray(data), backend.asarray(offsets),
                               backend.asarray(np.array([1, 1], np.int32)), 1)
    assert backend.to_numpy(merges).tolist() == [[ord("a"), ord("b")]]


def test_training_stops_when_every_word_is_one_token(backend):
    data, offsets = u8(b"abab"), np.array([0, 2, 4], np.int32)
    merges = backend.bpe_train(backend.asarray(data), backend.asarray(offsets),
                               backend.asarray(np.array([1, 1], np.int32)), 50)
    assert backend.to_numpy(merges).tolist() == [[97, 98]]


def test_training_on_no_words_learns_nothing(backend):
    merges = backend.bpe_train(backend.asarray(np.zeros(0, np.uint8)), backend.asarray(np.zeros(1, np.int32)),
                               backend.asarray(np.zeros(0, np.int32)), 10)
    assert backend.to_numpy(merges).shape == (0, 2)


def test_unique_words_counts_in_order_of_first_appearance(backend):
    data = u8(b"the cat the dog the")
    offsets = ref.pretokenize(data)
    first, counts = backend.unique_words(backend.asarray(data), backend.asarray(offsets))
    first, counts = backend.to_numpy(first), backend.to_numpy(counts)
    assert [bytes(data[offsets[f]:offsets[f + 1]]) for f in first] == [b"the", b" cat", b" the", b" dog"]
    assert counts.tolist() == [1, 1, 2, 1]


def test_every_backend_learns_the_reference_merges_on_stories(backend, stories):
    vocab = small_for(backend, 600, 300)
    text = stories if backend.name != "emu" else stories[:6000]
    got = BPETokenizer.train(text, vocab, backend=backend.name)
    want = BPETokenizer.train(text, vocab, backend="numpy")
    assert_agree(got.merges, want.merges, name="merges")
    assert len(want.merges) == vocab - 257


# --- encoding ----------------------------------------------------------------

@pytest.fixture(scope="module")
def story_tok(stories):
    return BPETokenizer.train(stories, 400, backend="c")


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_backend_encodes_to_the_reference_ids(backend, story_tok, name):
    text = TEXTS[name]
    want = story_tok.encode(text, backend="numpy")
    assert_agree(story_tok.encode(text, backend=backend.name), want, name="ids")
    assert story_tok.decode(want) == text


def test_every_backend_encodes_stories_to_the_reference_ids(backend, story_tok, stories):
    text = stories if backend.name != "emu" else stories[:20000]
    assert_agree(story_tok.encode(text, backend=backend.name), story_tok.encode(text, backend="numpy"), name="ids")


def test_encoding_compresses_stories(story_tok, stories):
    assert len(stories) / story_tok.encode(stories, backend="c").size > 1.8   # 143 merges already save ~half the tokens


@pytest.mark.parametrize("word", [b"a", b"ab", b"ba"])
def test_a_long_word_encodes_the_same_everywhere(backend, story_tok, word):
    n = small_for(backend, 1 << 20, 1500) // len(word)   # 1 MB of one word (emu: 1.5 KB)
    text = word * n
    ids = story_tok.encode(text, backend=backend.name)
    assert_agree(ids, story_tok.encode(text, backend="numpy"), name="ids")
    assert story_tok.decode(ids) == text


def test_endoftext_is_never_split_or_merged(backend, story_tok):
    eot = story_tok.eot_id
    for text, n_eot in [(EOT, 1), (EOT + EOT, 2), ("The end." + EOT + "Once", 1), (" " + EOT + " ", 1)]:
        ids = story_tok.encode(text, backend=backend.name)
        assert int(np.sum(ids == eot)) == n_eot
        assert story_tok.decode(ids) == text.encode()
    assert story_tok.encode(EOT).tolist() == [eot]


def test_eot_is_the_last_id(story_tok):
    assert story_tok.eot_id == 256 + len(story_tok.merges) == story_tok.vocab_size - 1
    assert story_tok.decode([story_tok.eot_id]) == EOT.encode()


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_any_bytes_round_trip(story_tok, data):
    for be in ("numpy", "c"):
        ids = story_tok.encode(data, backend=be)
        assert ids.dtype == np.int32
        assert story_tok.decode(ids) == data


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_round_trips_and_c_agrees(story_tok, text):
    ids = story_tok.encode(text, backend="c")
    assert story_tok.decode(ids) == text.encode()
    assert ids.tolist() == story_tok.encode(text, backend="numpy").tolist()


def test_tiktoken_with_our_merges_gives_our_ids(story_tok, stories):
    tiktoken = pytest.importorskip("tiktoken")
    ranks = {story_tok.vocab[i]: i for i in range(story_tok.eot_id)}
    enc = tiktoken.Encoding("pystory-test", pat_str=T.SPLIT_PATTERN_STR, mergeable_ranks=ranks,
                            special_tokens={EOT: story_tok.eot_id})
    text = stories.decode() + " It's 2026; x=1+2... done!\n\n\t  ok  "
    assert text.isascii()
    assert enc.encode(text, allowed_special="all") == story_tok.encode(text, backend="c").tolist()


# --- files ---------------------------------------------------------------------

def test_save_then_load_gives_the_same_tokenizer(tmp_path, story_tok, stories):
    path = str(tmp_path / "tok.bpe")
    story_tok.save(path)
    tok = load_tokenizer(path)
    assert_agree(tok.merges, story_tok.merges, name="merges")
    assert (tok.vocab_size, tok.eot_id) == (story_tok.vocab_size, story_tok.eot_id)
    assert_agree(tok.encode(stories[:3000]), story_tok.encode(stories[:3000]), name="ids")


def test_save_writes_a_readable_vocab_dump(tmp_path, story_tok):
    path = str(tmp_path / "tok.bpe")
    story_tok.save(path)
    lines = open(path + ".vocab", encoding="utf-8").read().splitlines()
    assert lines[1 + 97] == "97\t'a'"
    assert lines[-1] == f"{story_tok.eot_id}\t{EOT}"
    assert len(lines) == 1 + story_tok.vocab_size


def test_the_byte_tokenizer_still_loads():
    tok = load_tokenizer("byte")
    assert tok.encode("hi" + EOT).tolist() == [104, 105, 256]


@pytest.mark.parametrize("body, line, what", [
    ("not a merges file\n97 98\n", 1, "not a pystory BPE merges file"),
    (T.MERGES_HEADER + "\n97 98\n97 x\n", 3, "expected two token ids"),
    (T.MERGES_HEADER + "\n97 98 99\n", 2, "expected two token ids"),
    (T.MERGES_HEADER + "\n# c\n97 98\n256 300\n", 4, "does not exist yet"),
    (T.MERGES_HEADER + "\n-1 98\n", 2, "expected two token ids"),
])
def test_a_corrupt_merges_file_names_the_file_and_line(tmp_path, body, line, what):
    path = tmp_path / "bad.bpe"
    path.write_text(body)
    with pytest.raises(ValueError, match=re.escape(f"{path}:{line}: ") + ".*" + what):
        load_tokenizer(str(path))


def test_a_binary_file_is_rejected_with_its_name(tmp_path):
    path = tmp_path / "bad.bpe"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_tokenizer(str(path))


def test_load_tokenizer_rejects_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="load_tokenizer"):
        load_tokenizer(str(tmp_path / "nope.bpe"))


# --- bad input -------------------------------------------------------------------

@pytest.mark.parametrize("vocab", [0, 255, 256])
def test_train_rejects_a_vocab_without_room_for_bytes_and_eot(vocab):
    with pytest.raises(ValueError, match=r"vocab_size must be in \[257, 65536\]"):
        BPETokenizer.train(b"abc", vocab)


def test_train_rejects_a_non_int_vocab():
    with pytest.raises(TypeError, match="vocab_size must be an int"):
        BPETokenizer.train(b"abc", 300.0)


def test_a_vocab_of_257_learns_no_merges():
    tok = BPETokenizer.train(b"aaaa", 257)
    assert tok.merges.shape == (0, 2) and tok.eot_id == 256


@pytest.mark.parametrize("bad", [None, 12, ["a"], np.zeros(3, np.uint8)])
def test_encode_rejects_what_is_not_text(story_tok, bad):
    with pytest.raises(TypeError, match="BPETokenizer.encode: text must be str or bytes"):
        story_tok.encode(bad)


def test_decode_rejects_ids_outside_the_vocab(story_tok):
    with pytest.raises(ValueError, match="BPETokenizer.decode: ids must be integers in"):
        story_tok.decode([story_tok.vocab_size])


def test_pretokenize_rejects_int32_data(backend):
    with pytest.raises(TypeError, match="pretokenize: argument 'data' must have dtype uint8"):
        backend.pretokenize(backend.asarray(np.zeros(4, np.int32)))


@pytest.mark.parametrize("offsets", [[0, 5], [1, 3], [0, 3, 2, 3]])
def test_encode_op_rejects_offsets_outside_the_data(backend, offsets):
    be = backend
    with pytest.raises(ValueError, match="bpe_encode: argument 'offsets'"):
        be.bpe_encode(be.asarray(u8(b"abc")), be.asarray(np.array(offsets, np.int32)),
                      be.asarray(np.zeros((0, 2), np.int32)))


def test_encode_op_rejects_a_merge_that_uses_a_future_id(backend):
    be = backend
    with pytest.raises(ValueError, match="bpe_encode: argument 'merges'"):
        be.bpe_encode(be.asarray(u8(b"abc")), be.asarray(np.array([0, 3], np.int32)),
                      be.asarray(np.array([[97, 256]], np.int32)))


def test_train_op_rejects_counts_of_the_wrong_length(backend):
    be = backend
    with pytest.raises(ValueError, match=r"bpe_train: argument 'counts' must have shape \(W,\) = \(1,\) \(W as in 'offsets'\), got \(2,\)"):
        be.bpe_train(be.asarray(u8(b"ab")), be.asarray(np.array([0, 2], np.int32)),
                     be.asarray(np.array([1, 1], np.int32)), 3)


def test_train_op_rejects_a_negative_merge_count(backend):
    be = backend
    with pytest.raises(ValueError, match="bpe_train: argument 'n_merges'"):
        be.bpe_train(be.asarray(u8(b"ab")), be.asarray(np.array([0, 2], np.int32)),
                     be.asarray(np.array([1], np.int32)), -1)


# --- the command line ---------------------------------------------------------------

def test_cli_trains_encodes_and_decodes(tmp_path, capsysbinary, stories):
    from pystory.tokenizer_cli import main
    corpus, out = tmp_path / "corpus.txt", str(tmp_path / "tok.bpe")
    corpus.write_bytes(stories)
    assert main(["train", "--vocab", "300", "--corpus", str(corpus), "--backend", "c", "--out", out]) == 0
    assert load_tokenizer(out).vocab_size == 300
    capsysbinary.readouterr()
    assert main(["encode", "--tokenizer", out, "--text", "Once upon a time"]) == 0
    ids = capsysbinary.readouterr().out.decode().split()
    assert main(["decode", "--tokenizer", out, "--ids", " ".join(ids)]) == 0
    assert capsysbinary.readouterr().out == b"Once upon a time"


def test_cli_reports_a_corrupt_tokenizer_file(tmp_path, capsys):
    from pystory.tokenizer_cli import main
    bad = tmp_path / "bad.bpe"
    bad.write_text("junk\n")
    assert main(["encode", "--tokenizer", str(bad), "--text", "hi"]) == 2
    assert f"{bad}:1" in capsys.readouterr().err


def test_data_shards_can_be_written_with_a_saved_bpe(tmp_path, story_tok):
    from pystory.data import shards
    path = str(tmp_path / "tok.bpe")
    story_tok.save(path)
    tok = load_tokenizer(path)   # what `python -m pystory data tokenize --tokenizer FILE` calls
    ids = tok.encode("Once upon a time" + EOT)
    assert ids.max() < tok.vocab_size <= 65536
    assert np.array_equal(ids.astype(np.uint16).astype(np.int32), ids)
    assert shards is not None


@settings(max_examples=100, deadline=None)
@given(pieces=st.lists(st.binary(max_size=12) | st.sampled_from([b"  ", b" a", b"a ", b"\n", b"x  "]),
                       max_size=6))
def test_text_with_markers_encodes_as_its_pieces_joined_by_eot(story_tok, pieces):
    text = EOT.encode().join(pieces)
    want = []
    for k, piece in enumerate(pieces):
        if k:
            want.append(story_tok.eot_id)
        want += story_tok.encode(piece, backend="numpy").tolist()
    for be in ("numpy", "c"):
        assert story_tok.encode(text, backend=be).tolist() == want
