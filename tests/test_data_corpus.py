"""The TinyStories text format: round trip, streaming, errors."""
import os

import pytest

from pystory.data import corpus
from pystory.data.storyworld import generate_stories


def test_round_trip(tmp_path):
    stories = generate_stories(30, seed=1)
    path = tmp_path / "c.txt"
    assert corpus.write_corpus(path, stories) == 30
    assert corpus.read_corpus(path) == stories


def test_file_uses_endoftext_lines(tmp_path):
    path = tmp_path / "c.txt"
    corpus.write_corpus(path, ["One.", "Two.\n\nThree."])
    assert path.read_text() == "One.\n<|endoftext|>\nTwo.\n\nThree.\n<|endoftext|>\n"


def test_iter_corpus_streams_one_story_at_a_time(tmp_path):
    path = tmp_path / "c.txt"
    corpus.write_corpus(path, ["A.", "B.", "C."])
    it = corpus.iter_corpus(path)
    assert next(it) == "A."
    assert list(it) == ["B.", "C."]


def test_reads_the_real_tinystories_layout(tmp_path):
    # a last story without a separator, spaces around it, blank stories skipped
    path = tmp_path / "ts.txt"
    path.write_text("Once there was a cat.\n\nIt was happy.\n <|endoftext|> \n\n<|endoftext|>\nA dog ran.\n")
    assert corpus.read_corpus(path) == ["Once there was a cat.\n\nIt was happy.", "A dog ran."]


def test_read_limit(tmp_path):
    path = tmp_path / "c.txt"
    corpus.write_corpus(path, ["A.", "B.", "C."])
    assert corpus.read_corpus(path, limit=2) == ["A.", "B."]


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        corpus.read_corpus(tmp_path / "nope.txt")


def test_file_without_stories_names_the_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n<|endoftext|>\n  \n")
    with pytest.raises(ValueError, match="empty.txt.*no stories"):
        corpus.read_corpus(path)


def test_non_utf8_file_names_the_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Once \xff\xfe upon.\n")
    with pytest.raises(ValueError, match="bad.txt.*UTF-8"):
        corpus.read_corpus(path)


def test_story_containing_the_separator_is_refused(tmp_path):
    with pytest.raises(ValueError, match="story 1"):
        corpus.write_corpus(tmp_path / "c.txt", ["A.", "B <|endoftext|> C."])


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "c.txt"
    corpus.write_corpus(path, ["Old."])
    with pytest.raises(ValueError):
        corpus.write_corpus(path, ["New.", ""])
    assert corpus.read_corpus(path) == ["Old."]
    assert os.listdir(tmp_path) == ["c.txt"]


def test_text_chunks_end_every_story_with_eot(tmp_path):
    path = tmp_path / "c.txt"
    corpus.write_corpus(path, ["A.", "B.", "C."])
    chunks = list(corpus.iter_text_chunks(path, max_chars=3))
    assert "".join(chunks) == "A.<|endoftext|>B.<|endoftext|>C.<|endoftext|>"
    assert all(c.endswith("<|endoftext|>") for c in chunks)
