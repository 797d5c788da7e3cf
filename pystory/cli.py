"""python -m pystory <command> — every command of the course in one place.

Each command lives in its own module; this file only dispatches, so that
`python -m pystory --help` stays fast and a missing optional piece never
breaks the others. Every command runs under `cli_args.run`: a user's mistake
is one line on stderr and exit code 2, Ctrl-C is one line and exit code 130,
never a traceback.
"""
import importlib
import sys

# command -> (module, function taking argv, one-line help)
COMMANDS = {
    "doctor":    ("pystory.doctor", "main", "check Python, NumPy, compiler, OpenMP, nvcc, CuPy, GPU"),
    "backends":  ("pystory.doctor", "backends_main", "list the backends and why any is unavailable"),
    "build":     ("pystory.cbuild", "main", "build the C extension (what `make build` runs)"),
    "grade":     ("pystory.grading", "main", "grade a chapter's homework: grade 00"),
    "data":      ("pystory.data.cli", "main", "write the story corpus, print stats, tokenize into shards"),
    "tokenizer": ("pystory.tokenizer_cli", "main", "train, encode and decode with the BPE tokenizer"),
    "train":     ("pystory.gpt_cli", "train_main", "train the GPT on a corpus"),
    "eval":      ("pystory.gpt_cli", "eval_main", "loss and bits per byte of a model on a corpus"),
    "story":     ("pystory.gpt_cli", "story_main", "write a story with the shipped (or your) model"),
    "vae":       ("pystory.vae_cli", "main", "chapter 04's sentence VAE: train, eval, sample, reconstruct, interpolate"),
    "gan":       ("pystory.gan_cli", "main", "chapter 05: train, sample and evaluate a text GAN; the reranker"),
    "quantize":  ("pystory.quantize", "main", "store a model's weight matrices as int8 (chapter 07)"),
    "finetune":  ("pystory.lora", "main", "fine-tune a model on your stories with LoRA adapters (chapter 07)"),
    "distill":   ("pystory.distill", "main", "train a smaller student on a teacher's soft targets (chapter 07)"),
    "serve":     ("pystory.serve", "main", "the story web page and its JSON API (chapter 07)"),
}
# what the commands that have no parser of their own accept
FIXED_ARGS = {"doctor": [], "backends": [], "build": ["-v"]}


def usage():
    lines = ["usage: python -m pystory <command> [options]   (python -m pystory <command> --help for its options)",
             "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv=None):
    from pystory.cli_args import run
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"pystory: unknown command {name!r}; the commands are {', '.join(COMMANDS)} "
              f"(see python -m pystory --help)", file=sys.stderr)
        sys.exit(2)
    if name in FIXED_ARGS:
        if rest[:1] in (["-h"], ["--help"]):
            print(f"usage: python -m pystory {name} {' '.join(f'[{a}]' for a in FIXED_ARGS[name])}\n\n"
                  f"{COMMANDS[name][2]}")
            sys.exit(0)
        extra = [a for a in rest if a not in FIXED_ARGS[name]]
        if extra:
            print(f"{name}: unexpected argument {extra[0]!r} (see python -m pystory {name} --help)", file=sys.stderr)
            sys.exit(2)
    module, func, _ = COMMANDS[name]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        print(f"pystory {name}: not available yet ({module} arrives with a later chapter)", file=sys.stderr)
        sys.exit(2)
    sys.exit(run(name, getattr(mod, func), rest))
