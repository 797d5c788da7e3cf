"""Token shards: round trip and every kind of corrupted file."""
import os

import numpy as np
import pytest

from pystory.data import shards


def write(tmp_path, tokens, vocab, name="s.bin", **kw):
    path = tmp_path / name
    shards.write_shard(path, tokens, vocab, **kw)
    return path


def test_round_trip_uint16(tmp_path):
    tokens = np.random.default_rng(0).integers(0, 257, 1000)
    t, h = shards.read_shard(write(tmp_path, tokens, 257, eot_id=256))
    assert t.dtype == np.uint16 and np.array_equal(t, tokens)
    assert (h.vocab_size, h.n_tokens, h.width, h.eot_id) == (257, 1000, 2, 256)


def test_bpe_sized_vocab_stays_uint16(tmp_path):
    t, h = shards.read_shard(write(tmp_path, [0, 4095], 4096))
    assert t.dtype == np.uint16 and h.width == 2


def test_round_trip_uint32(tmp_path):
    tokens = np.array([0, 65535, 65536, 99999])
    t, h = shards.read_shard(write(tmp_path, tokens, 100_000))
    assert t.dtype == np.uint32 and np.array_equal(t, tokens) and h.width == 4


def test_file_size_is_header_plus_tokens(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    assert path.stat().st_size == shards.HEADER_BYTES + 10 * 2


def test_shard_is_a_read_only_memmap(tmp_path):
    t, _ = shards.read_shard(write(tmp_path, np.arange(10), 257))
    assert isinstance(t, np.memmap)
    with pytest.raises(ValueError):
        t[0] = 1


def test_empty_shard_round_trips(tmp_path):
    t, h = shards.read_shard(write(tmp_path, np.zeros(0, np.int32), 257))
    assert len(t) == 0 and h.n_tokens == 0 and h.eot_id is None


def test_token_outside_vocab_is_refused(tmp_path):
    with pytest.raises(ValueError, match="s.bin.*257"):
        write(tmp_path, [0, 257], 257)


def test_truncated_header_names_the_file(tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(b"\0" * 100)
    with pytest.raises(ValueError, match="short.bin.*truncated"):
        shards.read_shard(path)


def test_truncated_tokens_name_the_file(tmp_path):
    path = write(tmp_path, np.arange(100), 257)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match="s.bin.*truncated.*100 tokens"):
        shards.read_shard(path)


def test_extra_bytes_are_an_error(tmp_path):
    path = write(tmp_path, np.arange(100), 257)
    path.write_bytes(path.read_bytes() + b"\0\0")
    with pytest.raises(ValueError, match="s.bin.*too long"):
        shards.read_shard(path)


def patch_header(path, index, value):
    data = bytearray(path.read_bytes())
    data[4 * index: 4 * index + 4] = np.array([value], "<u4").tobytes()
    path.write_bytes(bytes(data))


def test_bad_magic_names_the_file(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    patch_header(path, 0, 12345)
    with pytest.raises(ValueError, match="s.bin.*magic"):
        shards.read_shard(path)


def test_unknown_version_names_the_file(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    patch_header(path, 1, 99)
    with pytest.raises(ValueError, match="s.bin.*version 99"):
        shards.read_shard(path)


def test_count_not_matching_size_names_the_file(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    patch_header(path, 3, 11)
    with pytest.raises(ValueError, match="s.bin.*11 tokens"):
        shards.read_shard(path)


def test_bad_width_names_the_file(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    patch_header(path, 5, 4)
    with pytest.raises(ValueError, match="s.bin.*width"):
        shards.read_shard(path)


def test_vocab_mismatch_names_the_file(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    with pytest.raises(ValueError, match="s.bin.*vocab.*257.*4096"):
        shards.read_shard(path, expected_vocab=4096)


def test_missing_shard_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="gone.bin"):
        shards.read_shard(tmp_path / "gone.bin")


# --- the checksum, and ids checked against the vocabulary when a shard is opened --------------

import zlib  # noqa: E402


def refresh_crc(path):
    """Recompute the header's CRC-32 after an edit (a forged but self-consistent shard)."""
    data = bytearray(path.read_bytes())
    h = np.frombuffer(bytes(data[:shards.HEADER_BYTES]), "<u4").copy()
    h[shards.CRC_FIELD] = 0
    crc = zlib.crc32(bytes(data[shards.HEADER_BYTES:]), zlib.crc32(h.tobytes()))
    data[4 * shards.CRC_FIELD: 4 * shards.CRC_FIELD + 4] = np.array([crc], "<u4").tobytes()
    path.write_bytes(bytes(data))


def test_a_flipped_token_byte_is_refused_by_the_checksum(tmp_path):
    path = write(tmp_path, np.arange(100), 257)
    data = bytearray(path.read_bytes())
    data[shards.HEADER_BYTES + 10] ^= 0x01               # still a valid id: only the checksum sees it
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="s.bin: corrupt shard: checksum mismatch"):
        shards.read_shard(path)


def test_an_edited_header_field_is_refused_by_the_checksum(tmp_path):
    path = write(tmp_path, np.arange(100), 257, eot_id=256)
    patch_header(path, 6, 5)                             # another eot id: sizes all still agree
    with pytest.raises(ValueError, match="checksum mismatch"):
        shards.read_shard(path)


def test_an_id_past_the_vocab_is_refused_on_open_naming_the_shard(tmp_path):
    path = write(tmp_path, np.arange(100), 257)
    data = bytearray(path.read_bytes())
    data[shards.HEADER_BYTES + 2 * 40: shards.HEADER_BYTES + 2 * 41] = np.array([300], "<u2").tobytes()
    path.write_bytes(bytes(data))
    refresh_crc(path)
    with pytest.raises(ValueError, match=r"s.bin: token 40 is id 300, not below the vocab size 257"):
        shards.read_shard(path)


def test_a_loader_opening_a_bad_shard_names_it_before_the_first_batch(tmp_path):
    from pystory.data.loader import BatchLoader
    good = write(tmp_path, np.arange(100) % 257, 257)
    os.replace(good, tmp_path / "train_000.bin")
    write(tmp_path, np.arange(100), 257)
    bad = tmp_path / "s.bin"
    data = bytearray(bad.read_bytes())
    data[-2:] = np.array([999], "<u2").tobytes()
    bad.write_bytes(bytes(data))
    refresh_crc(bad)
    os.replace(bad, tmp_path / "train_001.bin")
    with pytest.raises(ValueError, match="train_001.bin: token 99 is id 999"):
        BatchLoader(str(tmp_path), 2, 8)


def test_a_version_1_shard_is_refused_with_how_to_remake_it(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    patch_header(path, 1, 1)
    with pytest.raises(ValueError, match="version 1 .*without a checksum.*data tokenize"):
        shards.read_shard(path)


def test_an_eot_id_past_the_vocab_is_refused(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    patch_header(path, 6, 400)
    with pytest.raises(ValueError, match="eot id 400 is not below the vocab size 257"):
        shards.read_header(path)


def test_nonzero_reserved_fields_are_refused(tmp_path):
    path = write(tmp_path, np.arange(10), 257)
    patch_header(path, 20, 1)
    with pytest.raises(ValueError, match="reserved header fields"):
        shards.read_header(path)
