"""Chapter 07 demo: the shipped model made small (int8), made yours (LoRA), and put on a web page.

    python chapters/07_product/demo.py [--quick] [--refresh-figures]     (about a minute on a CPU)

1. Quantizes the shipped model: file size, weight error, bits/byte and a story from
   each, float32 and int8, with the same seed.
2. Fine-tunes it with LoRA (rank 8) for a few dozen steps on space stories it never
   saw, and writes one.
3. Serves the story page on 127.0.0.1 and takes a screenshot in headless Chromium
   (skipped, saying why, without Playwright or Chromium).
Figures go to build/figures/07_product/ (untracked); --refresh-figures writes the
committed ones in chapters/07_product/figures/: quant_error.png, page.png.
"""
import argparse
import os
import shutil
import sys
import tempfile
import textwrap
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

import pystory  # noqa: E402
from pystory.bench import add_output_args, output_dir, save_figure  # noqa: E402
from pystory.checkpoint import load_checkpoint, load_tokenizer_of  # noqa: E402
from pystory.gpt import GPT  # noqa: E402
from pystory.gpt_cli import SHIPPED_MODEL  # noqa: E402
from pystory.measure import bits_per_byte_on  # noqa: E402
from pystory.quantize import QuantizedGPT, dequantize_params, quantize_params, save_quantized  # noqa: E402
from pystory.sample import Sampler, generate  # noqa: E402


def story(model, tok, prompt, seed, n=120):
    ids = generate(model, tok.encode(prompt), n, Sampler(0.8, top_p=0.95, seed=seed), eot_id=tok.eot_id)
    return prompt + tok.decode(list(ids)).decode("utf-8", "replace")


def show(title, text):
    print(f"\n--- {title}\n" + "\n".join(textwrap.wrap(text, 100)))


def quantization(fig_dir, quick, plt):
    ck = load_checkpoint(SHIPPED_MODEL)
    tok = load_tokenizer_of(ck)
    be = pystory.backend("c")
    sections = quantize_params(ck.params, ck.config)
    tmp = tempfile.mkdtemp(prefix="pystory-demo-")
    try:
        shutil.copy(os.path.join(os.path.dirname(SHIPPED_MODEL), ck.tokenizer), tmp)
        path = save_quantized(os.path.join(tmp, "story.q8.ckpt"), sections, ck.config, tokenizer=ck.tokenizer)
        size = os.path.getsize(path)
    finally:
        shutil.rmtree(tmp)
    print(f"1. int8: {ck.params.size:,} parameters; float32 {4 * ck.params.size:,} bytes, float16 (shipped) "
          f"{os.path.getsize(SHIPPED_MODEL):,}, int8 {size:,} ({size / (4 * ck.params.size):.1%} of float32)")
    fm = GPT(ck.config, be)
    fm.load_params(ck.params)
    qm = QuantizedGPT(ck.config, be, sections)
    val_path = os.path.join(ROOT, "data", "storyworld", "val.txt")
    if os.path.exists(val_path):
        val = open(val_path, "rb").read()
        n = 4_000 if quick else 40_000
        bf, bq = bits_per_byte_on(fm, tok, val, n)[0], bits_per_byte_on(qm, tok, val, n)[0]
        print(f"   bits/byte on {n:,} validation tokens: float32 {bf:.4f}, int8 {bq:.4f} "
              f"({100 * (bq - bf) / bf:+.2f}%)")
    else:
        print("   (no data/storyworld/val.txt: run `make data` to measure bits/byte)")
    for name, m in (("float32", fm), ("int8", qm)):
        show(f"{name}, seed 3", story(m, tok, "Once upon a time", 3, 40 if quick else 120))
    # where the error goes: one matrix, its weights and their rounding error
    deq = dequantize_params(sections, ck.config)
    off = sum(np.prod(s) for s in [(ck.config.vocab_size, ck.config.n_embd), (ck.config.block_size, ck.config.n_embd)])
    C = ck.config.n_embd
    w = ck.params[off:off + 3 * C * C].reshape(3 * C, C)          # layer 0's qkv matrix
    e = deq[off:off + 3 * C * C].reshape(3 * C, C) - w
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].hist(w.ravel(), bins=120, color="#468")
    axes[0].set_title("layer 0 qkv weights", fontsize=10)
    rel = np.abs(e) / (np.abs(w).max(axis=1, keepdims=True) / 127)
    axes[1].hist(rel.ravel(), bins=60, color="#a64")
    axes[1].set_title("|w - dequant(q)| in steps of its row (at most 0.5)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, os.path.join(fig_dir, "quant_error.png"), dpi=110)
    plt.close(fig)
    return ck, tok


def lora(ck, tok, quick):
    from pystory.lora import LoRAGPT
    from pystory.styles import space_stories
    be = pystory.backend("c")
    model = LoRAGPT(ck.config, be, rank=8).init_adapters(0)
    model.load_params(ck.params)
    train = "<|endoftext|>".join(space_stories(200, seed=0)).encode()
    held = "<|endoftext|>".join(space_stories(20, seed=1)).encode()
    ids = np.asarray(tok.encode(train), np.int32)
    rng = np.random.default_rng(0)
    steps, B, T = (4, 2, 64) if quick else (40, 8, 128)
    before = bits_per_byte_on(model, tok, held, T=T)[0]
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(ids) - T - 1, B)
        w = np.stack([ids[s:s + T + 1] for s in starts])
        model.forward(be.asarray(w[:, :-1]), be.asarray(w[:, 1:]))
        model.zero_grad()
        model.backward()
        be.clip_grad_norm(model.grads, 1.0)
        model.update(2e-3, step)
    after = bits_per_byte_on(model, tok, held, T=T)[0]
    print(f"\n2. LoRA rank 8: {model.num_trainable:,} trainable numbers ({model.num_trainable / model.num_params:.1%}); "
          f"{steps} steps in {time.perf_counter() - t0:.0f} s; bits/byte on unseen space stories {before:.3f} -> "
          f"{after:.3f}")
    show("the adapted model, seed 1", story(model, tok, "Far away in space", 1, 40 if quick else 120))


def page(fig_dir, quick):
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        print(f"\n3. the web page: skipped ({e.name} is not installed; make setup installs it)")
        return
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("\n3. the web page: skipped (no Chromium: apt-get install chromium)")
        return
    from pystory.gpt_cli import load_model
    from pystory.serve import BackgroundServer, Limits, StoryService, create_app
    model, tok, _ = load_model(SHIPPED_MODEL, "c")
    service = StoryService(model, tok, Limits(RATE=10**6, BURST=10**6))
    with BackgroundServer(create_app(service)) as url, sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        except PlaywrightError as e:
            print(f"\n3. the web page: skipped (Chromium at {chromium} did not start: "
                  f"{(str(e).strip().splitlines() or ['?'])[0]})")
            return
        pg = browser.new_page(viewport={"width": 900, "height": 640})
        pg.goto(url)
        pg.fill("#prompt", "Once upon a time, a little fox")
        pg.fill("#seed", "11")
        pg.fill("#max_tokens", "40" if quick else "120")
        pg.click("#write")
        pg.wait_for_function("document.getElementById('story').dataset.done === 'true'", timeout=60_000)
        from pystory.atomic import write_bytes_atomic
        path = os.path.join(fig_dir, "page.png")
        write_bytes_atomic(path, pg.screenshot(full_page=True))
        print(f"\n3. the web page ({url}): wrote a story with seed 11 in headless Chromium: "
              f"{pg.inner_text('#status')}\n  wrote {os.path.relpath(path)}")
        browser.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a few seconds: smaller measurements")
    add_output_args(p)
    args = p.parse_args()
    fig_dir = output_dir(HERE, args.refresh_figures)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ck, tok = quantization(fig_dir, args.quick, plt)
    lora(ck, tok, args.quick)
    page(fig_dir, args.quick)
    print(f"\nfigures: {os.path.relpath(fig_dir, ROOT)}/")


if __name__ == "__main__":
    main()
