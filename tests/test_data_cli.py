"""python -m pystory data: smoke tests writing to tmp_path."""
import subprocess
import sys

import numpy as np

from pystory.data import cli
from pystory.data.corpus import read_corpus
from pystory.data.shards import read_shard
from pystory.data.storyworld import generate_stories


def test_generate_writes_train_and_val(tmp_path, capsys):
    assert cli.main(["--stories", "100", "--seed", "2", "--out", str(tmp_path)]) == 0
    train, val = read_corpus(tmp_path / "train.txt"), read_corpus(tmp_path / "val.txt")
    assert len(train) + len(val) == 100 and len(val) == 2
    assert sorted(train + val) == sorted(generate_stories(100, seed=2))
    out = capsys.readouterr().out
    assert "distinct sentences" in out and "time:" in out


def test_generate_is_byte_identical_across_runs(tmp_path):
    cli.main(["--stories", "50", "--out", str(tmp_path / "a")])
    cli.main(["--stories", "50", "--out", str(tmp_path / "b")])
    assert (tmp_path / "a/train.txt").read_bytes() == (tmp_path / "b/train.txt").read_bytes()


def test_split_drops_duplicates_so_val_is_disjoint():
    train, val, dups = cli.split_train_val(["a", "b", "a", "c", "d"], 0.25)
    assert dups == 1 and not set(train) & set(val) and len(train) + len(val) == 4


def test_stats_prints_statistics(tmp_path, capsys):
    cli.main(["--stories", "20", "--out", str(tmp_path)])
    capsys.readouterr()
    assert cli.main(["stats", "--corpus", str(tmp_path / "train.txt")]) == 0
    out = capsys.readouterr().out
    assert "vocabulary" in out and "distinct-1/2/3" in out


def test_stats_on_missing_file_names_it(tmp_path, capsys):
    assert cli.main(["stats", "--corpus", str(tmp_path / "none.txt")]) == 2
    assert "none.txt" in capsys.readouterr().err


def test_tokenize_writes_shards_ending_in_eot(tmp_path):
    cli.main(["--stories", "30", "--out", str(tmp_path)])
    assert cli.main(["tokenize", "--tokenizer", "byte", "--corpus", str(tmp_path)]) == 0
    tokens, header = read_shard(tmp_path / "train_000.bin", expected_vocab=257)
    stories = read_corpus(tmp_path / "train.txt")
    assert header.eot_id == 256 and tokens[-1] == 256
    assert int(np.sum(tokens == 256)) == len(stories)
    assert (tmp_path / "val_000.bin").exists()


def test_tokenize_single_file_into_out_dir_with_small_shards(tmp_path):
    cli.main(["--stories", "30", "--out", str(tmp_path)])
    out = tmp_path / "tok"
    assert cli.main(["tokenize", "--corpus", str(tmp_path / "train.txt"), "--out", str(out),
                     "--shard-tokens", "5000"]) == 0
    shards = sorted(out.glob("train_*.bin"))
    assert len(shards) > 1
    lengths = [len(read_shard(p)[0]) for p in shards]
    assert max(lengths) <= 5000
    assert all(read_shard(p)[0][-1] == 256 for p in shards)   # cut between stories


def test_tokenize_removes_stale_shards(tmp_path):
    cli.main(["--stories", "30", "--out", str(tmp_path)])
    cli.main(["tokenize", "--corpus", str(tmp_path), "--shard-tokens", "3000"])
    cli.main(["tokenize", "--corpus", str(tmp_path)])
    assert [p.name for p in sorted(tmp_path.glob("train_*.bin"))] == ["train_000.bin"]


def test_tokenize_unknown_tokenizer_is_an_error(tmp_path, capsys):
    cli.main(["--stories", "5", "--out", str(tmp_path)])
    assert cli.main(["tokenize", "--tokenizer", "nope", "--corpus", str(tmp_path)]) == 2
    assert "nope" in capsys.readouterr().err


def test_module_runs_as_a_script(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pystory.data.cli", "--stories", "10",
                        "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "train.txt").exists()
