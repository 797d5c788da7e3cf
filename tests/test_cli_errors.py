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


# (argv with {f} for the fixture folder, what the message must name): every one is a user's mistake
BAD = [
    # story
    ("story --seed -1", "--seed"), ("story --seed 1.5", "--seed"), (f"story --seed {2**64}", "--seed"),
    ("story --seed x", "--seed"), ("story --temperature nan", "--temperature"),
    ("story --temperature -1", "--temperature"), ("story --temperature inf", "--temperature"),
    ("story --temperature 1e400", "--temperature"), ("story --top-p 0", "--top-p"), ("story --top-p 1.5", "--top-p"),
    ("story --top-p nan", "--top-p"), ("story --top-k -1", "--top-k"), ("story --max-tokens -5", "--max-tokens"),
    ("story --model {f}/nowhere.ckpt", "nowhere.ckpt"), ("story --model {f}/folder", "is a folder"),
    ("story --model {f}/story.txt", "not a pystory GPT checkpoint"), ("story --model {f}/empty.txt", "empty.txt"),
    ("story --tokenizer {f}/nowhere.bpe", "nowhere.bpe"), ("story --tokenizer {f}/junk.bpe", "junk.bpe"),
    ("story --backend tpu", "--backend"), ("story --bogus", "--bogus"), ("story --seed", "--seed"),
    # eval
    ("eval --batch-size 0", "--batch-size"), ("eval --batch-size -3", "--batch-size"),
    ("eval --corpus {f}/empty.txt", "empty.txt: no stories found"), ("eval --corpus {f}/story.txt", "fewer than one window"),
    ("eval --corpus {f}/nowhere.txt", "nowhere.txt"), ("eval --corpus {f}/folder", "is a folder"),
    ("eval --max-tokens x", "--max-tokens"), ("eval --max-tokens -1", "--max-tokens"),
    ("eval --model {f}/a_file --corpus {f}/story.txt", "not a pystory GPT checkpoint"),
    # train
    ("train --lr nan", "--lr"), ("train --lr -1", "--lr"), ("train --lr 0", "--lr"), ("train --lr inf", "--lr"),
    ("train --lr 2", "--lr"), ("train --steps 0", "--steps"), ("train --steps -1", "--steps"),
    ("train --steps 1e3", "--steps"), ("train --batch-size 0", "--batch-size"), ("train --grad-clip -1", "--grad-clip"),
    ("train --weight-decay inf", "--weight-decay"), ("train --warmup -1", "--warmup"), ("train --seed -1", "--seed"),
    ("train --eval-batches 0", "--eval-batches"), ("train --diverge-nats 0", "--diverge-nats"),
    ("train --set n_layer=0", "--set"), ("train --set bogus=1", "--set"), ("train --set n_layer", "--set"),
    ("train --set n_head=3 --corpus {f}/corpus --out {f}/run_nhead", "n_head"),
    ("train --set vocab_size=99 --corpus {f}/corpus --out {f}/run_vocab", "vocab_size"),
    ("train --out {f}/a_file", "--out"), ("train --out {f}/a_file/sub", "--out"),
    ("train --corpus {f}/nowhere", "make data"), ("train --corpus {f}/empty.txt --out {f}/run_empty", "empty.txt"),
    ("train --corpus {f}/story.txt --out {f}/run_one", "at least 2"),
    ("train --corpus {f}/corpus --out {f}/run_noval", "val.txt"), ("train --tokenizer {f}/nowhere.bpe", "nowhere.bpe"),
    ("train --tokenizer {f}/junk.bpe --corpus {f}/corpus --out {f}/run_junk", "junk.bpe"),
    ("train --resume --out {f}/folder", "--resume"), ("train --ship {f}/folder", "--ship"),
    ("train --config huge", "--config"), ("train --st 5", "--st"),
    # train on many processes (chapter 08)
    ("train --accum 0", "--accum"), ("train --accum x", "--accum"), ("train --accum 1e9", "--accum"),
    ("train --comm gloo", "--comm"), ("train --comm-timeout 0", "--comm-timeout"),
    ("train --comm-timeout nan", "--comm-timeout"), ("train --zero=1", "--zero"),
    ("train --batch-size 6 --accum 4 --corpus {f}/corpus --out {f}/run_split", "--batch-size 6"),
    ("train --comm nccl --corpus {f}/corpus --out {f}/run_nccl", "--comm nccl"),
    # tokenizer
    ("tokenizer", "required"), ("tokenizer bogus", "bogus"),
    ("tokenizer decode --tokenizer byte --ids 99999999999999999999999", "not a token id"),
    ("tokenizer decode --tokenizer byte --ids abc", "--ids"), ("tokenizer decode --tokenizer byte --ids -1", "--ids"),
    ("tokenizer decode --tokenizer byte --ids 257", "not a token id"),
    ("tokenizer decode --tokenizer byte --in {f}/ids.npy", "not a .npy file"),
    ("tokenizer decode --tokenizer byte --in {f}/floats.npy", "integer ids"),
    ("tokenizer decode --tokenizer byte --in {f}/big.npy", "ids must be in"),
    ("tokenizer decode --tokenizer byte --in {f}/nowhere.npy", "nowhere.npy"),
    ("tokenizer decode --tokenizer byte", "--ids"),
    ("tokenizer encode --tokenizer {f}/nowhere.bpe --text x", "nowhere.bpe"),
    ("tokenizer encode --tokenizer {f}/junk.bpe --text x", "junk.bpe"),
    ("tokenizer encode --tokenizer byte --text x --out {f}/folder", "--out"),
    ("tokenizer encode --tokenizer byte --in {f}/folder", "--in"),
    ("tokenizer train --vocab 100 --stories 1 --out {f}/t.bpe", "--vocab"),
    ("tokenizer train --vocab 70000 --stories 1 --out {f}/t.bpe", "--vocab"),
    ("tokenizer train --out {f}/t.bpe", "--corpus FILE or --stories"),
    ("tokenizer train --stories -1 --out {f}/t.bpe", "--stories"),
    ("tokenizer train --corpus {f}/nowhere.txt --out {f}/t.bpe", "nowhere.txt"),
    ("tokenizer train --stories 1 --out {f}/folder", "--out"),
    # data
    ("data --stories 0", "--stories"), ("data --stories x", "--stories"), ("data --out {f}/a_file", "--out"),
    ("data --val-fraction 1", "--val-fraction"), ("data --val-fraction nan", "--val-fraction"),
    ("data --val-fraction -0.1", "--val-fraction"), ("data --seed -1", "--seed"),
    ("data stats --corpus {f}/nowhere.txt", "nowhere.txt"), ("data stats --corpus {f}/empty.txt", "no stories"),
    ("data stats --limit -1", "--limit"), ("data stats --corpus {f}/folder", "is a folder"), ("data stats", "--corpus"),
    ("data tokenize --corpus {f}/nowhere", "nowhere"), ("data tokenize --corpus {f}/corpus --shard-tokens 0",
                                                          "--shard-tokens"),
    ("data tokenize --tokenizer nope --corpus {f}/corpus", "nope"),
    ("data tokenize --corpus {f}/folder --out {f}/tok_out", "no train.txt or val.txt"),
    ("data tokenize --corpus {f}/corpus --out {f}/a_file", "--out"),
    ("data download", "dataset"), ("data download wikipedia", "wikipedia"),
    ("data download tinystories --version v3", "--version"), ("data download tinystories --splits test", "--splits"),
    ("data download tinystories --timeout 0", "--timeout"), ("data download tinystories --timeout nan", "--timeout"),
    ("data download tinystories --tokenizer {f}/nowhere.bpe", "nowhere.bpe"),
    ("data download tinystories --out {f}/a_file", "--out"),
    # vae (chapter 04)
    ("vae frobnicate", "unknown command"), ("vae sample --n 0", "--n"), ("vae sample --n x", "--n"),
    ("vae sample --seed -1", "--seed"), (f"vae sample --seed {2**64}", "--seed"),
    ("vae sample --temperature nan", "--temperature"), ("vae sample --max-len 0", "--max-len"),
    ("vae sample --model {f}/nowhere.ckpt", "nowhere.ckpt"), ("vae sample --model {f}/folder", "is a folder"),
    ("vae sample --model {f}/story.txt", "not a pystory GPT checkpoint"),
    ("vae sample --tokenizer {f}/nowhere.bpe", "nowhere.bpe"), ("vae sample --tokenizer {f}/junk.bpe", "junk.bpe"),
    ("vae sample --backend tpu", "--backend"), ("vae sample --bogus", "--bogus"),
    ("vae reconstruct", "SENTENCE"), ("vae reconstruct x --samples 99", "--samples"),
    ("vae interpolate onlyone", "SENTENCE2"),
    ("vae interpolate a b --steps 1", "--steps"),
    ("vae train --steps 0", "--steps"), ("vae train --lr nan", "--lr"), ("vae train --lr 0", "--lr"),
    ("vae train --word-dropout 1.5", "--word-dropout"), ("vae train --kl-ratio 0", "--kl-ratio"),
    ("vae train --free-bits -1", "--free-bits"), ("vae train --kl-schedule cosine", "--kl-schedule"),
    ("vae train --config huge", "--config"), ("vae train --batch-size 0", "--batch-size"),
    ("vae train --out {f}/a_file", "--out"), ("vae train --ship {f}/folder", "--ship"),
    ("vae train --corpus {f}/nowhere.txt", "nowhere.txt"), ("vae train --corpus {f}/folder", "is a folder"),
    ("vae train --tokenizer {f}/junk.bpe", "junk.bpe"), ("vae train --steps 5 --ae-steps 5", "--ae-steps"),
    ("vae train --corpus {f}/empty.txt --out {f}/vae_empty", "empty.txt"), ("vae train --st 5", "--st"),
    ("vae eval --k 0", "--k"), ("vae eval --n 1", "--n"), ("vae eval --split train", "--split"),
    ("vae eval --json {f}/folder", "--json"),
    # quantize (chapter 07)
    ("quantize", "--out"), ("quantize --model {f}/nowhere.ckpt --out {f}/q.ckpt", "nowhere.ckpt"),
    ("quantize --model {f}/folder --out {f}/q.ckpt", "is a folder"),
    ("quantize --model {f}/story.txt --out {f}/q.ckpt", "not a pystory GPT checkpoint"),
    ("quantize --out {f}/folder", "--out"), ("quantize --out {f}/a_file/q.ckpt", "--out"),
    # finetune (chapter 07)
    ("finetune", "--corpus"), ("finetune --corpus {f}/nowhere.txt", "nowhere.txt"),
    ("finetune --corpus {f}/story.txt --lora 0", "--lora"), ("finetune --corpus {f}/story.txt --lora x", "--lora"),
    ("finetune --corpus {f}/story.txt --lora 4 --full", "--full"), ("finetune --corpus {f}/story.txt --lr nan", "--lr"),
    ("finetune --corpus {f}/story.txt --alpha 0", "--alpha"), ("finetune --corpus {f}/story.txt --steps 0", "--steps"),
    ("finetune --corpus {f}/story.txt --targets bogus", "--targets"),
    ("finetune --corpus {f}/story.txt --seed -1", "--seed"), ("finetune --corpus {f}/story.txt --out {f}/a_file", "--out"),
    ("finetune --corpus {f}/story.txt --merge {f}/folder", "--merge"),
    ("finetune --corpus {f}/story.txt --model {f}/nowhere.ckpt", "nowhere.ckpt"),
    ("finetune --corpus {f}/story.txt --model {f}/story.txt --out {f}/ft_bad", "not a pystory GPT checkpoint"),
    ("finetune --corpus {f}/empty.txt --out {f}/ft_empty", "empty.txt"),
    # distill (chapter 07)
    ("distill --alpha 2", "--alpha"), ("distill --alpha nan", "--alpha"), ("distill --width 0", "--width"),
    ("distill --width 1.5", "--width"), ("distill --temperature 0", "--temperature"), ("distill --steps 0", "--steps"),
    ("distill --corpus {f}/nowhere", "make data"), ("distill --teacher {f}/nowhere.ckpt", "nowhere.ckpt"),
    ("distill --corpus {f}/story.txt --out {f}/a_file", "--out"),
    ("distill --teacher {f}/story.txt --corpus {f}/story.txt --out {f}/d_bad", "not a pystory GPT checkpoint"),
    # serve (chapter 07): nothing here gets as far as listening
    ("serve --port 0", "--port"), ("serve --port 99999", "--port"), ("serve --port x", "--port"),
    ("serve --workers 0", "--workers"), ("serve --rate 0", "--rate"), ("serve --backend tpu", "--backend"),
    ("serve --model {f}/nowhere.ckpt", "nowhere.ckpt"), ("serve --model {f}/story.txt", "not a pystory GPT checkpoint"),
    # story --rerank (chapter 05)
    ("story --rerank 0", "--rerank"), ("story --rerank 257", "--rerank"), ("story --rerank x", "--rerank"),
    ("story --rerank 2 --disc {f}/nowhere.ckpt", "nowhere.ckpt"), ("story --disc {f}/folder", "is a folder"),
    ("story --rerank 2 --disc {f}/story.txt", "not a pystory GPT checkpoint"),
    # gan (chapter 05)
    ("gan", "give a subcommand"), ("gan frobnicate", "unknown subcommand"),
    ("gan train --loss wasserstein", "--loss"), ("gan train --schedule cosine", "--schedule"),
    ("gan train --beta-max nan", "--beta-max"), ("gan train --beta-max 0.5", "--beta-max"),
    ("gan train --steps 0", "--steps"), ("gan train --g-lr 0", "--g-lr"), ("gan train --seed -1", "--seed"),
    ("gan train --init {f}/nowhere.ckpt", "nowhere.ckpt"), ("gan train --corpus {f}/nowhere", "make data"),
    ("gan train --init {f}/story.txt --corpus {f}/corpus", "not a pystory GPT checkpoint"),
    ("gan train --out {f}/a_file", "--out"), ("gan train --st 5 --corpus {f}/corpus", "--st"),
    ("gan sample --model {f}/nowhere.ckpt", "nowhere.ckpt"), ("gan sample --model {f}/folder", "is a folder"),
    ("gan sample --model {f}/story.txt", "not a pystory GPT checkpoint"),
    ("gan sample --model {f}/story.txt --temperature nan", "--temperature"),
    ("gan eval --model {f}/nowhere.ckpt --corpus {f}/corpus", "nowhere.ckpt"),
    ("gan eval --model ={f}/a_file --corpus {f}/corpus", "label"),
    ("gan eval --model {f}/story.txt --corpus {f}/corpus", "not a pystory GPT checkpoint"),
    ("gan eval --temperatures 0.5,x", "--temperatures"), ("gan eval --temperatures 0.5,,1", "--temperatures"),
    ("gan eval --temperatures 0", "--temperatures"), ("gan eval --samples 1", "--samples"),
    ("gan disc-train --samples 2", "--samples"), ("gan disc-train --length 4", "--length"),
    ("gan disc-train --ship {f}/folder", "--ship"), ("gan disc-train --corpus {f}/nowhere", "make data"),
    ("gan disc-train --model {f}/story.txt --corpus {f}/corpus", "not a pystory GPT checkpoint"),
    ("gan disc-train --corpus {f}/corpus --samples 4 --out {f}/disc_noval", "val.txt"),
    ("gan rerank-eval --K 0", "--K"), ("gan rerank-eval --K 1,,4", "--K"), ("gan rerank-eval --K 300", "--K"),
    ("gan rerank-eval --disc {f}/nowhere.ckpt", "nowhere.ckpt"), ("gan rerank-eval --stories 0", "--stories"),
    ("gan rerank-eval --disc {f}/story.txt --corpus {f}/corpus", "not a pystory GPT checkpoint"),
    # the rest
    ("grade 99", "no chapter '99'"), ("grade", "chapter"), ("doctor --x", "--x"),
    ("backends extra", "extra"), ("nope", "unknown command"),
]


@pytest.mark.parametrize("line, names", BAD)
def test_a_mistake_is_one_line_naming_it_and_exit_code_2(line, names, files, capsys):
    argv = line.format(f=files).split()
    code = run(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].strip(), err
    assert "Traceback" not in err
    command = argv[0] if argv[0] in cli.COMMANDS else "pystory"
    assert lines[0].startswith(command) and names in lines[0], err


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


def test_grade_names_a_planned_chapter(capsys, monkeypatch):
    from pystory import grading
    monkeypatch.setitem(grading.PLANNED, "09", "serving at scale")
    assert run(["grade", "09"]) == 2
    assert "planned" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--temperature", "--top-p", "--top-k", "--seed", "--max-tokens"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
    outs = [subprocess.run([sys.executable, "chapters/02_embeddings/demo.py", "--stories", "300", "--epochs", "1",
                            "--dim", "16"], cwd=root,
                           capture_output=True, text=True, timeout=300).stdout for _ in range(2)]
    words = [re.sub(r"[\d.,]+ s\b|\([\d,]+ words/s\)|total \d+ s", "", o) for o in outs]
    assert "1 epoch(s)" in outs[0] and words[0] == words[1]


def test_a_story_piped_into_head_stops_quietly():
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = subprocess.Popen([sys.executable, "-m", "pystory", "story", "--seed", "1"], cwd=root,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert len(p.stdout.read(20)) == 20             # what `head -c 20` reads, then it closes the pipe
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 0 and err == "", err
