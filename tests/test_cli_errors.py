"""Every user mistake on the command line is one line on stderr and exit code 2, never a traceback.

The table runs `python -m pystory ...` in process (pystory.cli.main, exactly what the command runs),
so a few hundred probes cost seconds; test_cli_train.py runs real subprocesses where it matters.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystory import cli


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    (d / "empty.txt").write_text("")
    (d / "story.txt").write_text("Once upon a time, a cat sat.\n<|endoftext|>\n")
    (d / "junk.bpe").write_text("junk\n")
    (d / "ids.npy").write_bytes(b"not numpy")
    np.save(d / "floats.npy", np.zeros(3, np.float32))
    np.save(d / "big.npy", np.array([0, 5000], np.int64))
    (d / "a_file").write_text("x")
    (d / "folder").mkdir()
    (d / "corpus").mkdir()
    (d / "corpus" / "train.txt").write_text("Once upon a time.\n<|endoftext|>\n" * 3)
    return d


def run(argv):
    """(exit code, stdout, stderr) of `python -m pystory *argv`, in process."""
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    return e.value.code


# argv with {f} for the fixture folder; every one is a user's mistake
BAD = [
    # story
    "story --seed -1", "story --seed 1.5", f"story --seed {2**64}", "story --seed x",
    "story --temperature nan", "story --temperature -1", "story --temperature inf", "story --temperature 1e400",
    "story --top-p 0", "story --top-p 1.5", "story --top-p nan", "story --top-k -1", "story --max-tokens -5",
    "story --model {f}/nowhere.ckpt", "story --model {f}/folder", "story --model {f}/story.txt",
    "story --model {f}/empty.txt", "story --tokenizer {f}/nowhere.bpe", "story --tokenizer {f}/junk.bpe",
    "story --backend tpu", "story --bogus", "story --seed",
    # eval
    "eval --batch-size 0", "eval --batch-size -3", "eval --corpus {f}/empty.txt", "eval --corpus {f}/story.txt",
    "eval --corpus {f}/nowhere.txt", "eval --corpus {f}/folder", "eval --max-tokens x", "eval --max-tokens -1",
    "eval --model {f}/a_file",
    # train
    "train --lr nan", "train --lr -1", "train --lr 0", "train --lr inf", "train --lr 2", "train --steps 0",
    "train --steps -1", "train --steps 1e3", "train --batch-size 0", "train --grad-clip -1",
    "train --weight-decay inf", "train --warmup -1", "train --seed -1", "train --eval-batches 0",
    "train --diverge-nats 0", "train --set n_layer=0", "train --set bogus=1", "train --set n_layer",
    "train --set n_head=3 --corpus {f}/corpus --out {f}/run_nhead",
    "train --set vocab_size=99 --corpus {f}/corpus --out {f}/run_vocab",
    "train --out {f}/a_file", "train --out {f}/a_file/sub", "train --corpus {f}/nowhere",
    "train --corpus {f}/empty.txt --out {f}/run_empty", "train --corpus {f}/story.txt --out {f}/run_one",
    "train --corpus {f}/corpus --out {f}/run_noval", "train --tokenizer {f}/nowhere.bpe",
    "train --tokenizer {f}/junk.bpe --corpus {f}/corpus --out {f}/run_junk", "train --resume --out {f}/folder",
    "train --ship {f}/folder", "train --config huge", "train --st 5",
    # tokenizer
    "tokenizer", "tokenizer bogus", "tokenizer decode --tokenizer byte --ids 99999999999999999999999",
    "tokenizer decode --tokenizer byte --ids abc", "tokenizer decode --tokenizer byte --ids -1",
    "tokenizer decode --tokenizer byte --ids 257", "tokenizer decode --tokenizer byte --in {f}/ids.npy",
    "tokenizer decode --tokenizer byte --in {f}/floats.npy", "tokenizer decode --tokenizer byte --in {f}/big.npy",
    "tokenizer decode --tokenizer byte --in {f}/nowhere.npy", "tokenizer decode --tokenizer byte",
    "tokenizer encode --tokenizer {f}/nowhere.bpe --text x", "tokenizer encode --tokenizer {f}/junk.bpe --text x",
    "tokenizer encode --tokenizer byte --text x --out {f}/folder", "tokenizer encode --tokenizer byte --in {f}/folder",
    "tokenizer train --vocab 100 --stories 1 --out {f}/t.bpe", "tokenizer train --vocab 70000 --stories 1 --out {f}/t.bpe",
    "tokenizer train --out {f}/t.bpe", "tokenizer train --stories -1 --out {f}/t.bpe",
    "tokenizer train --corpus {f}/nowhere.txt --out {f}/t.bpe", "tokenizer train --stories 1 --out {f}/folder",
    # data
    "data --stories 0", "data --stories x", "data --out {f}/a_file", "data --val-fraction 1",
    "data --val-fraction nan", "data --val-fraction -0.1", "data --seed -1",
    "data stats --corpus {f}/nowhere.txt", "data stats --corpus {f}/empty.txt", "data stats --limit -1",
    "data stats --corpus {f}/folder", "data stats", "data tokenize --corpus {f}/nowhere",
    "data tokenize --corpus {f}/corpus --shard-tokens 0", "data tokenize --tokenizer nope --corpus {f}/corpus",
    "data tokenize --corpus {f}/folder --out {f}/tok_out", "data tokenize --corpus {f}/corpus --out {f}/a_file",
    # the rest
    "grade 99", "grade 04", "grade", "doctor --x", "backends extra", "nope",
]


@pytest.mark.parametrize("line", BAD)
def test_a_mistake_is_one_line_and_exit_code_2(line, files, capsys):
    argv = line.format(f=files).split()
    code = run(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].strip(), err
    assert "Traceback" not in err and "Error:" not in err.split(":", 1)[0]
    command = argv[0] if argv[0] in cli.COMMANDS else "pystory"
    assert lines[0].startswith(command), err


def test_a_path_from_the_command_line_is_named_in_its_message(files, capsys):
    run(["story", "--model", str(files / "nowhere.ckpt")])
    assert "nowhere.ckpt" in capsys.readouterr().err


def test_a_missing_default_corpus_points_to_make_data(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                       # no data/ here
    assert run(["train", "--steps", "1"]) == 2
    assert "make data" in capsys.readouterr().err
    assert run(["eval"]) == 2
    assert "make data" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []                 # a refused run leaves nothing behind


def test_train_refuses_steps_0_instead_of_saying_it_saved_a_checkpoint(files, tmp_path, capsys):
    assert run(["train", "--steps", "0", "--corpus", str(files / "corpus"), "--out", str(tmp_path / "r")]) == 2
    assert "--steps" in capsys.readouterr().err and not (tmp_path / "r" / "model.ckpt").exists()


def test_grade_names_a_planned_chapter(capsys):
    assert run(["grade", "04"]) == 2
    assert "planned" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--temperature", "--top-p", "--top-k", "--seed", "--max-tokens"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(max_size=12), st.floats().map(repr), st.integers().map(str)))
def test_any_value_of_a_story_option_is_a_story_or_one_line(option, value, capsys):
    code = run(["story", "--max-tokens", "0", "--seed", "1", f"{option}={value}"])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(st.one_of(st.integers(), st.text(alphabet="0123456789-+x., ", max_size=6)), max_size=6))
def test_any_ids_given_to_decode_are_text_or_one_line(ids, capsysbinary):
    code = run(["tokenizer", "decode", "--tokenizer", "byte", f"--ids={' '.join(map(str, ids))}"])
    err = capsysbinary.readouterr().err.decode()
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1


def test_story_refuses_a_checkpoint_full_of_inf_instead_of_printing_only_the_prompt(tmp_path, capsys):
    import struct
    import zlib
    from pystory.gpt_cli import SHIPPED_MODEL
    data = open(SHIPPED_MODEL, "rb").read()
    hlen = struct.unpack("<Q", data[8:16])[0]
    body = data[20:20 + hlen] + np.full((len(data) - 20 - hlen) // 2, np.inf, np.float16).tobytes()
    open(tmp_path / "inf.ckpt", "wb").write(data[:16] + struct.pack("<I", zlib.crc32(body)) + body)
    ck = os.path.join(os.path.dirname(SHIPPED_MODEL), "story.bpe")
    open(tmp_path / "story.bpe", "wb").write(open(ck, "rb").read())
    assert run(["story", "--model", str(tmp_path / "inf.ckpt"), "--seed", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "holds NaN or inf" in err


def test_chapter_02_demo_output_does_not_depend_on_the_machines_speed():
    import re
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outs = [subprocess.run([sys.executable, "chapters/02_embeddings/demo.py", "--quick"], cwd=root,
                           capture_output=True, text=True, timeout=300).stdout for _ in range(2)]
    words = [re.sub(r"[\d.,]+ s\b|\([\d,]+ words/s\)|total \d+ s", "", o) for o in outs]
    assert "1 epoch(s)" in outs[0] and words[0] == words[1]
