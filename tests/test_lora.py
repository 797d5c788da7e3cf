"""Chapter 07: LoRA adapters — exact gradients, merging, adapter files bound to their base, finetune."""
import inspect

import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from pystory.gpt import GPT, GPTConfig
from pystory.gpt_cli import load_model
from pystory.lora import LoRAGPT, adapter_shapes, params_sha256, save_adapter
from pystory.testing import assert_agree

TINY = GPTConfig(vocab_size=257, block_size=16, n_layer=2, n_head=2, n_embd=32)


def batch(seed=0, V=TINY.vocab_size, B=2, T=16):
    w = np.random.default_rng(seed).integers(0, V, (B, T + 1)).astype(np.int32)
    return np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, 1:])


def base_params(cfg=TINY, seed=0):
    m = GPT(cfg, pystory.backend("numpy")).init_weights(seed=seed)
    return m.params + np.random.default_rng(seed + 1).standard_normal(m.num_params).astype(np.float32) * 0.02


def adapted(be, cfg=TINY, rank=4, perturb=True, dtype=np.float32, params=None):
    model = LoRAGPT(cfg, be, rank=rank, dtype=dtype).init_adapters(seed=3)
    model.load_params(base_params(cfg) if params is None else params)
    if perturb:     # B starts at 0, which would hide every mistake in dA
        rng = np.random.default_rng(5)
        model.lora[...] = be.asarray(be.to_numpy(model.lora) + rng.standard_normal(model.lora.size).astype(dtype) * 0.1)
    return model


def test_a_fresh_adapter_leaves_the_model_unchanged(backend):
    base = GPT(TINY, backend)
    base.load_params(base_params())
    model = adapted(backend, perturb=False)
    x, _ = batch()
    assert_agree(model.forward(backend.asarray(x))[0], base.forward(backend.asarray(x))[0], rtol=1e-5, atol=1e-6)


def test_adapter_count_is_rank_times_in_plus_out_for_every_target_matrix():
    r, C, L = 4, TINY.n_embd, TINY.n_layer
    model = LoRAGPT(TINY, pystory.backend("numpy"), rank=r)
    assert model.num_trainable == L * r * ((C + 3 * C) + (C + C) + (C + 4 * C) + (4 * C + C))
    assert list(adapter_shapes(TINY, r))[:2] == ["qkvw.A", "qkvw.B"]


def float64_references():
    numpy = pystory.backend("numpy")
    return pystory.Backend("numpy", np, {op: inspect.unwrap(getattr(numpy, op)) for op in numpy.ops})


def test_lora_gradients_match_finite_differences_in_float64():
    be = float64_references()
    cfg = GPTConfig(vocab_size=16, block_size=8, n_layer=2, n_head=2, n_embd=8)
    model = adapted(be, cfg, rank=2, dtype=np.float64, params=base_params(cfg).astype(np.float64))
    x, y = batch(V=16, B=2, T=6)
    model.forward(x, y)
    model.zero_grad()
    model.backward()
    analytic = model.grads.copy()
    rng, eps, off = np.random.default_rng(0), 1e-6, 0
    for name, shape in model.shapes.items():
        n = int(np.prod(shape))
        for i in rng.choice(np.arange(off, off + n), size=4, replace=False):
            old = model.lora[i]
            model.lora[i] = old + eps
            lp = model.forward(x, y)[1]
            model.lora[i] = old - eps
            lm = model.forward(x, y)[1]
            model.lora[i] = old
            num = (lp - lm) / (2 * eps)
            assert abs(num - analytic[i]) <= 1e-7 + 1e-5 * abs(num), f"{name}[{i - off}]: {analytic[i]} vs {num}"
        off += n


def test_lora_gradients_agree_across_backends(backend):
    ref = adapted(pystory.backend("numpy"))
    x, y = batch()
    ref.forward(x, y)
    ref.zero_grad()
    ref.backward()
    model = adapted(backend)
    _, loss = model.forward(backend.asarray(x), backend.asarray(y))
    model.zero_grad()
    model.backward()
    scale = float(np.abs(ref.grads).max())
    assert_agree(model.grads, ref.grads, rtol=1e-3, atol=1e-4 * scale, name="d loss / d adapters")


def test_the_merged_model_computes_what_the_adapted_one_does():
    be = pystory.backend("c")
    model = adapted(be)
    x, _ = batch()
    assert_agree(model.merged().forward(x)[0], model.forward(x)[0], rtol=1e-4, atol=1e-4)


def test_training_the_adapters_lowers_the_loss_and_leaves_the_base_untouched():
    be = pystory.backend("c")
    model = adapted(be, perturb=False)
    before = be.to_numpy(model.params).copy()
    x, y = batch()
    losses = []
    for step in range(1, 31):
        _, loss = model.forward(x, y)
        losses.append(loss)
        model.zero_grad()
        model.backward()
        be.clip_grad_norm(model.grads, 1.0)
        model.update(5e-3, step)
    assert losses[-1] < losses[0] - 0.3
    assert_agree(model.params, before, rtol=0, atol=0, name="frozen base")


def write_base(folder, name="base.ckpt", seed=0):
    m = GPT(TINY, pystory.backend("numpy"))
    m.load_params(base_params(seed=seed))
    save_checkpoint(folder / name, m, optimizer=False)
    return m


def test_an_adapter_file_loads_beside_its_base_and_gives_the_same_logits(tmp_path):
    base = write_base(tmp_path)
    model = adapted(pystory.backend("c"), params=base.params)
    save_adapter(tmp_path / "a.lora", model, "base.ckpt", params_sha256(base.params), optimizer=False)
    loaded, _, ck = load_model(tmp_path / "a.lora", "c")
    assert ck.kind == "lora" and isinstance(loaded, LoRAGPT)
    x, _ = batch()
    assert_agree(loaded.forward(x)[0], model.forward(x)[0], rtol=0, atol=0)


def test_an_adapter_beside_a_different_base_is_refused_with_a_clear_message(tmp_path):
    base = write_base(tmp_path)
    model = adapted(pystory.backend("numpy"), params=base.params)
    save_adapter(tmp_path / "a.lora", model, "base.ckpt", params_sha256(base.params), optimizer=False)
    write_base(tmp_path, seed=9)                                  # another model under the same name
    with pytest.raises(CheckpointError, match="trained on another base model than .*base.ckpt"):
        load_model(tmp_path / "a.lora", "numpy")
    (tmp_path / "base.ckpt").unlink()
    with pytest.raises(CheckpointError, match="its base model base.ckpt is not in the adapter's folder"):
        load_model(tmp_path / "a.lora", "numpy")


def test_an_adapter_naming_its_base_by_a_path_is_refused(tmp_path):
    base = write_base(tmp_path)
    model = adapted(pystory.backend("numpy"), params=base.params)
    with pytest.raises(CheckpointError, match="'base' must name the base model by a file name"):
        save_adapter(tmp_path / "a.lora", model, "../base.ckpt", params_sha256(base.params))


def space_corpus(tmp_path, n=60):
    from pystory.data.corpus import write_corpus
    from pystory.styles import space_stories
    corpus = tmp_path / "space.txt"
    write_corpus(corpus, space_stories(n, seed=0))
    return corpus


def test_adapter_training_resumes_bit_identically_on_c(tmp_path):
    from pystory.data.loader import BatchLoader
    from pystory.gpt_cli import prepare_shards
    from pystory.lora import AdapterTrainer
    from pystory.tokenizer import load_tokenizer
    from pystory.train import TrainConfig
    be = pystory.backend("c")
    data = prepare_shards(str(space_corpus(tmp_path)), load_tokenizer("byte"), str(tmp_path / "run"))
    base = base_params()

    def trainer(out):
        tc = TrainConfig(steps=4, batch_size=2, seq_len=16, lr=1e-2, warmup=1, eval_every=0, ckpt_every=2,
                         out_dir=str(tmp_path / out))
        loader = BatchLoader(data, 2, 16, seed=0, split="train")
        model = adapted(be, perturb=False, params=base)
        return AdapterTrainer(model, loader, tc, "base.ckpt", params_sha256(base), log=lambda m: None)
    whole = trainer("a")
    whole.run()
    first = trainer("b")
    for _ in range(2):
        first.train_step()
    first.save()
    second = trainer("b")
    second.resume(second.ckpt_path)
    second.run()
    assert second.history["loss"] == whole.history["loss"][2:]
    assert_agree(second.model.lora, whole.model.lora, rtol=0, atol=0, name="adapters after 4 steps")


def test_finetune_command_trains_an_adapter_that_loads_and_merges(tmp_path, capsys):
    from pystory.lora import main
    corpus = space_corpus(tmp_path)
    args = ["--corpus", str(corpus), "--lora", "4", "--batch-size", "2", "--seq-len", "32", "--eval-every", "2",
            "--eval-batches", "2", "--warmup", "1", "--steps", "3", "--out", str(tmp_path / "a"),
            "--merge", str(tmp_path / "merged.ckpt")]
    assert main(args) == 0
    ck = load_checkpoint(tmp_path / "a" / "adapter.lora")
    assert ck.kind == "lora" and ck.step == 3 and ck.meta["lora"]["rank"] == 4
    model, _, _ = load_model(tmp_path / "a" / "adapter.lora", "c")
    merged, _, _ = load_model(tmp_path / "merged.ckpt", "c")
    x, _ = batch(V=model.cfg.vocab_size)           # whatever model ships: nothing here pins its numbers
    assert_agree(merged.forward(x)[0], model.forward(x)[0], rtol=2e-2, atol=2e-2)   # merged is stored float16
    out = capsys.readouterr().out
    assert "trainable parameters" in out and "before: val loss" in out
    assert main(["--corpus", str(corpus), "--full", "--steps", "1", "--batch-size", "2", "--seq-len", "16",
                 "--out", str(tmp_path / "full"), "--eval-batches", "1"]) == 0
    assert load_checkpoint(tmp_path / "full" / "model.ckpt").kind == "float"


def test_finetune_answers_bad_arguments_with_one_line_and_exit_2(tmp_path, capsys):
    from pystory.lora import main
    corpus = str(space_corpus(tmp_path))
    for bad, names in ((["--lora", "0"], "--lora"), (["--lr", "nan"], "--lr"), (["--lora", "4", "--full"], "--full")):
        assert main(["--corpus", corpus] + bad) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("finetune: argument ") and names in err and "\n" not in err
    assert main(["--corpus", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
