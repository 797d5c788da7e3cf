"""Chapter 08 on one process: the shards cover the buffer, the loader hands each rank its rows,
gradient accumulation equals the big batch, and a batch that does not split is refused.
(The multi-process behaviour — 2 ranks equal 1, ZeRO-1, resume, faults — is in test_distributed_mpi.py.)"""
import numpy as np
import pytest

import pystory
from pystory.data.corpus import write_corpus
from pystory.data.loader import BatchLoader
from pystory.data.storyworld import generate_stories
from pystory.dist.comm import Shards, SingleProcess
from pystory.dist.parallel import BatchSplitError, DataParallel
from pystory.gpt import GPT, GPTConfig
from pystory.gpt_cli import prepare_shards
from pystory.tokenizer import load_tokenizer
from pystory.train import Trainer, TrainConfig

TINY = GPTConfig(vocab_size=257, block_size=32, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    stories = generate_stories(60, seed=1)
    write_corpus(d / "train.txt", stories[:50])
    write_corpus(d / "val.txt", stories[50:])
    return prepare_shards(str(d), load_tokenizer("byte"), str(d / "run"))


def trainer(shards, out, B=4, steps=4, **parallel):
    tc = TrainConfig(steps=steps, batch_size=B, lr=3e-3, warmup=2, eval_every=0, ckpt_every=0, out_dir=str(out))
    loader = BatchLoader(shards, B, TINY.block_size, seed=0, split="train")
    model = GPT(TINY, pystory.backend("c")).init_weights(seed=0)
    return Trainer(model, loader, tc, log=lambda msg: None, parallel=DataParallel(SingleProcess(), **parallel))


@pytest.mark.parametrize("P, world", [(10, 1), (10, 3), (2, 4), (118_592, 2), (7, 7)])
def test_shards_cut_the_buffer_into_contiguous_pieces_that_cover_it_once(P, world):
    s = Shards(P, world)
    covered = np.concatenate([np.arange(P)[s.of(r)] for r in range(world)])
    assert np.array_equal(covered, np.arange(P))
    assert max(s.counts) == s.S and all(c >= 0 for c in s.counts)


def test_a_rank_reads_its_rows_of_the_global_batch_and_the_loaders_stay_in_step(shards):
    whole, part = (BatchLoader(shards, 6, 16, seed=3) for _ in range(2))
    for _ in range(3):
        w = whole.next_batch()
        assert np.array_equal(part.next_batch(rows=(2, 5)), w[2:5])
    assert whole.rng.bit_generator.state == part.rng.bit_generator.state


def test_rows_outside_the_batch_are_refused(shards):
    with pytest.raises(ValueError, match=r"next_batch: rows \(3, 9\) are not within the batch of 6"):
        BatchLoader(shards, 6, 16).next_batch(rows=(3, 9))


def test_gradient_accumulation_equals_the_big_batch_to_float32_rounding(shards, tmp_path):
    big = trainer(shards, tmp_path / "big")
    big.run()
    acc = trainer(shards, tmp_path / "acc", accum=2)
    acc.run()
    np.testing.assert_allclose(acc.history["loss"], big.history["loss"], rtol=1e-6)
    # the weight gradients sum B*T rows in one loop or as two halves added: the last bits differ
    np.testing.assert_allclose(acc.model.params, big.model.params, rtol=1e-5, atol=1e-6)


def test_accumulating_four_micro_batches_of_one_window_equals_the_batch_of_four(shards, tmp_path):
    big = trainer(shards, tmp_path / "big", steps=2)
    big.run()
    acc = trainer(shards, tmp_path / "acc", steps=2, accum=4)
    acc.run()
    np.testing.assert_allclose(acc.model.params, big.model.params, rtol=1e-5, atol=1e-6)
    assert acc.parallel.memory()["accumulation"] == 4 * acc.model.num_params


def test_zero1_on_one_process_is_plain_adamw_bit_for_bit(shards, tmp_path):
    plain = trainer(shards, tmp_path / "plain")
    plain.run()
    zero = trainer(shards, tmp_path / "zero", zero=True)
    zero.run()
    assert np.array_equal(zero.model.params, plain.model.params)
    assert np.array_equal(zero.model.m, plain.model.m) and np.array_equal(zero.model.v, plain.model.v)


def test_a_batch_that_does_not_split_into_micro_batches_is_refused(shards, tmp_path):
    with pytest.raises(BatchSplitError, match=r"--batch-size 4 must split evenly into 1 rank\(s\) x 3 "
                                              r"micro-batch\(es\) \(--accum\): give a multiple of 3"):
        trainer(shards, tmp_path, accum=3).run()


def test_the_train_command_refuses_a_bad_split_in_one_line(shards, tmp_path, capsys):
    from pystory import cli
    corpus = str(tmp_path / "c")
    import shutil
    shutil.copytree(shards, corpus)
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "--corpus", corpus, "--config", "tiny", "--batch-size", "5", "--accum", "2",
                  "--out", str(tmp_path / "run"), "--steps", "2"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == ("train: --batch-size 5 must split evenly into 1 rank(s) x 2 micro-batch(es) (--accum): "
                   "give a multiple of 2")
