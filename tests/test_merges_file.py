"""The BPE merges file: version 2 carries its merge count and CRC-32, so a file cut short or edited is
refused; version 1 files (the format before) still load when they are whole."""
import numpy as np
import pytest

from pystory.tokenizer import MERGES_HEADER, BPETokenizer, load_tokenizer

MERGES = np.array([(104, 101), (32, 116), (257, 256), (97, 110)], np.int32)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "tok.bpe"
    BPETokenizer(MERGES).save(str(path))
    return path


def test_a_saved_merges_file_round_trips(saved):
    assert np.array_equal(load_tokenizer(str(saved)).merges, MERGES)
    assert saved.read_text().startswith("pystory-bpe v2 merges 4 crc32 ")


def test_a_file_cut_in_the_middle_of_a_line_is_refused(saved):
    text = saved.read_text()
    cut = text[:text.rindex("\n", 0, len(text) - 1) + 4]          # "257 2" of "257 256 ..."
    saved.write_text(cut)
    with pytest.raises(ValueError, match="tok.bpe:.*ends in the middle of a line"):
        load_tokenizer(str(saved))


def test_a_file_cut_at_a_line_end_is_refused(saved):
    lines = saved.read_text().splitlines(keepends=True)
    saved.write_text("".join(lines[:-1]))
    with pytest.raises(ValueError, match="promises 4 merges .* holds 3"):
        load_tokenizer(str(saved))


def test_an_edited_merge_is_refused(saved):
    saved.write_text(saved.read_text().replace("\n97 110", "\n97 111"))
    with pytest.raises(ValueError, match="corrupt merges file"):
        load_tokenizer(str(saved))


def test_comments_may_be_edited(saved):
    saved.write_text(saved.read_text().replace("# vocab_size", "# my notes\n# vocab_size"))
    assert np.array_equal(load_tokenizer(str(saved)).merges, MERGES)


def version_1(merges):
    lines = [MERGES_HEADER, f"# vocab_size {257 + len(merges)}: ids 0-255 are bytes, ..."]
    return "\n".join(lines + [f"{a} {b}" for a, b in merges.tolist()]) + "\n"


def test_a_whole_version_1_file_still_loads(tmp_path):
    path = tmp_path / "old.bpe"
    path.write_text(version_1(MERGES))
    assert np.array_equal(load_tokenizer(str(path)).merges, MERGES)


def test_a_version_1_file_cut_mid_line_is_refused(tmp_path):
    path = tmp_path / "old.bpe"
    path.write_text(version_1(MERGES)[:-3])
    with pytest.raises(ValueError, match="ends in the middle of a line"):
        load_tokenizer(str(path))


def test_a_version_1_file_cut_at_a_line_end_is_refused_by_its_vocab_comment(tmp_path):
    path = tmp_path / "old.bpe"
    path.write_text(version_1(MERGES).rsplit("\n", 2)[0] + "\n")
    with pytest.raises(ValueError, match="says vocab_size 261 but holds 3 merges"):
        load_tokenizer(str(path))
