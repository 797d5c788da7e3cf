"""Chapter 07: distillation — the soft-target loss, its gradient, and the distill command."""
import numpy as np
import pytest

from pystory.distill import soft_cross_entropy, student_config
from pystory.gpt import GPTConfig


def test_the_soft_loss_is_zero_when_student_and_teacher_agree():
    z = np.random.default_rng(0).standard_normal((4, 9))
    loss, grad = soft_cross_entropy(np, z, z.copy(), 2.0)
    assert abs(loss) < 1e-12 and np.abs(grad).max() < 1e-12


def test_the_soft_loss_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    zs, zt = rng.standard_normal((3, 7)) * 2, rng.standard_normal((3, 7)) * 2
    for T in (0.5, 1.0, 3.0):
        _, grad = soft_cross_entropy(np, zs, zt, T)
        eps = 1e-6
        for i in range(3):
            for j in range(7):
                zp, zm = zs.copy(), zs.copy()
                zp[i, j] += eps
                zm[i, j] -= eps
                num = (soft_cross_entropy(np, zp, zt, T)[0] - soft_cross_entropy(np, zm, zt, T)[0]) / (2 * eps)
                assert abs(num - grad[i, j]) < 1e-6 + 1e-4 * abs(num), (T, i, j)


def test_the_soft_loss_is_stable_for_huge_logits():
    zs = np.array([[1e4, 0.0, -1e4]])
    loss, grad = soft_cross_entropy(np, zs, zs[:, ::-1].copy(), 1.0)
    assert np.isfinite(loss) and np.isfinite(grad).all()


def test_the_student_is_half_as_wide_with_the_same_heads():
    t = GPTConfig(vocab_size=2048, block_size=256, n_layer=4, n_head=4, n_embd=128)
    s = student_config(t, 0.5)
    assert (s.n_embd, s.n_head, s.n_layer, s.vocab_size) == (64, 4, 4, 2048)


def test_distill_command_trains_a_student_and_answers_bad_arguments(tmp_path, capsys):
    from pystory.checkpoint import load_checkpoint
    from pystory.data.corpus import write_corpus
    from pystory.data.storyworld import generate_stories
    from pystory.distill import main
    from pystory.gpt_cli import SHIPPED_MODEL
    corpus = tmp_path / "stories.txt"
    write_corpus(corpus, generate_stories(300, seed=3))
    assert main(["--corpus", str(corpus), "--steps", "2", "--batch-size", "1", "--eval-every", "2",
                 "--eval-batches", "1", "--out", str(tmp_path / "d")]) == 0
    ck = load_checkpoint(tmp_path / "d" / "model.ckpt")
    teacher = load_checkpoint(SHIPPED_MODEL).config                # the default teacher, whatever ships
    assert ck.config == student_config(teacher, 0.5) and ck.config.n_embd < teacher.n_embd and ck.step == 2
    assert main(["--alpha", "2"]) == 2
    assert capsys.readouterr().err.startswith("distill: argument --alpha")
