"""BatchLoader: shapes, determinism, story alignment, split disjointness."""
import numpy as np
import pytest

from pystory.data import cli
from pystory.data.corpus import read_corpus
from pystory.data.loader import BatchLoader, count_tokens
from pystory.data.shards import write_shard
from pystory.tokenizer import load_tokenizer

EOT = 256


@pytest.fixture(scope="module")
def tokenized(tmp_path_factory):
    """A small storyworld corpus, written and tokenized by the CLI."""
    out = tmp_path_factory.mktemp("sw")
    assert cli.main(["--stories", "300", "--seed", "4", "--out", str(out), "--val-fraction", "0.1"]) == 0
    assert cli.main(["tokenize", "--tokenizer", "byte", "--corpus", str(out), "--shard-tokens", "50000"]) == 0
    return out


def test_batch_shape_and_dtype(tokenized):
    w = BatchLoader(tokenized, B=4, T=32).next_batch()
    assert w.shape == (4, 33) and w.dtype == np.int32


def test_targets_are_inputs_shifted_by_one(tokenized):
    w = BatchLoader(tokenized, B=2, T=16).next_batch()
    x, y = w[:, :-1], w[:, 1:]
    assert np.array_equal(x[:, 1:], y[:, :-1])


def test_same_seed_same_batches(tokenized):
    a = [BatchLoader(tokenized, 4, 32, seed=9).next_batch() for _ in range(1)]
    la, lb = BatchLoader(tokenized, 4, 32, seed=9), BatchLoader(tokenized, 4, 32, seed=9)
    for _ in range(5):
        assert np.array_equal(la.next_batch(), lb.next_batch())
    assert np.array_equal(a[0], BatchLoader(tokenized, 4, 32, seed=9).next_batch())


def test_different_seed_different_batches(tokenized):
    assert not np.array_equal(BatchLoader(tokenized, 4, 32, seed=1).next_batch(),
                              BatchLoader(tokenized, 4, 32, seed=2).next_batch())


def test_iteration_matches_next_batch_and_reset_restarts(tokenized):
    loader = BatchLoader(tokenized, 2, 8, seed=3)
    first = next(iter(loader))
    loader.reset()
    assert np.array_equal(first, loader.next_batch())


def test_align_to_story_starts_after_eot(tokenized):
    loader = BatchLoader(tokenized, B=16, T=64, align_to_story=True)
    stories = read_corpus(tokenized / "train.txt")
    openings = {s.encode()[:20] for s in stories}
    for _ in range(5):
        for row in loader.next_batch():
            assert bytes(row[:20].astype(np.uint8)) in openings


def test_windows_decode_to_corpus_text(tokenized):
    tok = load_tokenizer("byte")
    text = (tokenized / "train.txt").read_text()
    for row in BatchLoader(tokenized, B=8, T=40, seed=5).next_batch():
        for piece in tok.decode(row).split(b"<|endoftext|>"):
            assert piece.decode() in text


def test_train_and_val_stories_are_disjoint(tokenized):
    train, val = read_corpus(tokenized / "train.txt"), read_corpus(tokenized / "val.txt")
    assert val and not set(train) & set(val)


def test_val_loader_reads_only_val_stories(tokenized):
    tok = load_tokenizer("byte")
    val_text = (tokenized / "val.txt").read_text()
    train_stories = set(read_corpus(tokenized / "train.txt"))
    loader = BatchLoader(tokenized, B=8, T=200, split="val", align_to_story=True)
    assert all("val_" in p for p in loader.paths)
    for row in loader.next_batch():
        story = tok.decode(row).split(b"<|endoftext|>")[0].decode()
        assert story in val_text
        assert not any(t.startswith(story) for t in train_stories)


def test_num_tokens_matches_the_shards(tokenized):
    loader = BatchLoader(tokenized, 2, 8)
    assert loader.num_tokens == count_tokens(tokenized) == sum(len(t) for t in loader.tokens)
    assert len(loader.paths) > 1                # --shard-tokens 50000 made several


def test_eval_batches_cover_the_split_in_order(tokenized):
    loader = BatchLoader(tokenized, B=4, T=100, split="val")
    rows = np.concatenate(list(loader.eval_batches()))
    n = len(loader.tokens[0])
    assert len(rows) == (n - 1) // 100
    assert np.array_equal(rows[1], loader.tokens[0][100:201])


def test_glob_and_list_sources(tokenized):
    a = BatchLoader(str(tokenized / "train_*.bin"), 2, 8, seed=1).next_batch()
    paths = sorted(str(p) for p in tokenized.glob("train_*.bin"))
    assert np.array_equal(a, BatchLoader(paths, 2, 8, seed=1).next_batch())


def test_shard_shorter_than_window_names_the_file(tmp_path):
    write_shard(tmp_path / "train_000.bin", np.arange(10), 257)
    with pytest.raises(ValueError, match="train_000.bin.*fewer than T\\+1"):
        BatchLoader(tmp_path, B=1, T=10)


def test_no_shards_is_an_error_naming_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        BatchLoader(tmp_path, B=1, T=4)


def test_vocab_mismatch_reaches_the_loader(tokenized):
    with pytest.raises(ValueError, match="vocab mismatch"):
        BatchLoader(tokenized, 1, 4, expected_vocab=4096)


def test_align_starts_only_at_shard_start_or_after_eot(tmp_path):
    tokens = [1, 2, EOT, 3, 4, EOT, 5, 6, 7, 8]
    write_shard(tmp_path / "train_000.bin", tokens, 257, eot_id=EOT)
    firsts = {int(w[0]) for w in BatchLoader(tmp_path, B=64, T=3, align_to_story=True).next_batch()}
    assert firsts == {1, 3, 5}
