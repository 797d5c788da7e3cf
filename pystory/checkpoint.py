"""Chapter 06: GPT checkpoints — written atomically, validated on load, trusted in nothing.

File layout, format 2 (little-endian):

    offset  size  what
    0       8     magic b"PYSTGPT2"
    8       8     uint64 H: length of the header
    16      4     uint32 CRC-32 of every byte after this field (the header and the payload)
    20      H     header, UTF-8 JSON: format, config, tokenizer, tokenizer_sha256, step, sections, train_state
    20 + H  ...   payload: the sections one after another (params, then m and v if saved)

Why the checksum covers the header: the header says how to read the payload
(the config sets every shape, `n_head` how attention splits the channels). An
edited `n_head` keeps the parameter count, so only a checksum over the header
notices it; format 1 checked the payload alone.

What the loader checks, in order, before any number reaches a model: the
magic, that H fits in the file, the CRC-32, that the header is the exact
schema below (ints are ints, names are names), that the sections add up to
the payload's bytes, and that every parameter is finite (a checkpoint of a
run that diverged is refused, never sampled).

The tokenizer. A checkpoint names its tokenizer as "byte" or as a plain file
name (`story.bpe`) that lives in the checkpoint's own folder, and stores the
SHA-256 of its merges. Nothing else is accepted: a header naming
`/etc/passwd` or `../x` is refused without following or printing it. A
tokenizer given on the command line replaces the named one, but must have the
same merges. `save_checkpoint` enforces the same rule when it writes.

Parameters can be stored as float16 for shipping (half the size; the model
computes in float32 after loading); training checkpoints keep float32 and
the optimizer state, which is what makes `--resume` exact.

Kinds. A header may say what the file holds in its "kind" field (KINDS
below); no kind is "float", a float GPT as above. Chapter 07 adds "q8" (an
int8 GPT: sections rest, q8, q8scale, laid out by pystory/quantize.py) and
"lora" (adapters for a base model named beside it: sections lora [, m, v],
laid out by pystory/lora.py); chapter 04 adds "vae" (the sentence VAE,
pystory/vae.py) and chapter 05 adds "disc" (the reranking discriminator,
pystory/disc.py) and "gan" (a generator and a discriminator in one buffer,
pystory/gan.py), each a flat params [, m, v] buffer of its own config. The
module of the kind says which sections a config needs and, for a kind whose
config is not a GPTConfig, parses and checks that config; this loader checks
both like the rest. A loader says which kinds it can use
(`load_checkpoint(path, kinds=("disc",))`; the default is the GPT kinds) and a
file of another kind is refused by name. int8 sections stay int8 after
loading (`ck.sections`); `ck.params` is the float parameters of a float
buffer, None otherwise.

Format 1 files (pystory before this format) are refused with a pointer to
`python -m pystory.checkpoint upgrade FILE`, which rewrites one as format 2
with the same parameter bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import sys
import zlib

import numpy as np

from pystory.atomic import atomic_open
from pystory.gpt import GPTConfig, num_params

__all__ = ["CheckpointError", "Checkpoint", "save_checkpoint", "save_sections", "load_checkpoint", "load_tokenizer_of",
           "tokenizer_sha256", "place_tokenizer", "tokenizer_file_of", "place_file", "upgrade_checkpoint", "KINDS",
           "GPT_KINDS", "int_config", "flat_sections"]

MAGIC = b"PYSTGPT2"
MAGIC_V1 = b"PYSTGPT1"
FORMAT_VERSION = 2
PREFIX = 20                      # magic, header length, CRC-32
MAX_HEADER = 64 << 20            # a header (mostly the loss history) is far smaller; refuse anything bigger
DTYPES = {"float32": np.float32, "float16": np.float16, "int8": np.int8}
# What a file holds, by its header's "kind" (absent: "float"):
#   kind -> (the module that defines it, its sections function, its config parser)
# sections(header, config) -> the [name, dtype, count] list a file of that kind and config must have
# (ValueError if the header's own fields of that kind are wrong); the config parser turns the header's
# "config" object into that kind's config (ValueError if it is not one); None: a GPTConfig.
KINDS = {
    "float": ("pystory.checkpoint", "gpt_sections", None),            # a float GPT (chapter 06)
    "q8":    ("pystory.quantize", "q8_sections", None),               # an int8 GPT (chapter 07)
    "lora":  ("pystory.lora", "adapter_sections", None),              # LoRA adapters of a GPT (chapter 07)
    "disc":  ("pystory.disc", "disc_sections", "config_from_header"),  # the reranking discriminator (05)
    "gan":   ("pystory.gan", "gan_sections", "config_from_header"),    # generator + discriminator (05)
    "vae":   ("pystory.vae", "vae_sections", "config_from_header"),    # the sentence VAE (chapter 04)
}
GPT_KINDS = ("float", "q8", "lora")      # what `story`, `train`, `eval`, ... can run
SECTIONS = ("params", "m", "v")
# A tokenizer file name: letters, digits, '.', '_', '-'; not starting with '.'. No folder, no "..".
TOKENIZER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and what is wrong."""


class Checkpoint:
    """What load_checkpoint returns: config, float32 params, optional m and v, and metadata."""

    def __init__(self, path, config, params, m, v, meta, sections=None):
        self.path, self.config, self.params, self.m, self.v, self.meta = path, config, params, m, v, meta
        self.sections = sections or {}            # every section by name (int8 ones stay int8)

    @property
    def kind(self):
        return self.meta.get("kind", "float")

    @property
    def step(self):
        return self.meta["step"]

    @property
    def tokenizer(self):
        return self.meta["tokenizer"]

    @property
    def train_state(self):
        return self.meta["train_state"]


# --- the tokenizer a checkpoint names -----------------------------------------------------

def tokenizer_sha256(tok):
    """SHA-256 (hex) of what makes a tokenizer: 'byte', or its merges as little-endian int32 pairs."""
    merges = getattr(tok, "merges", None)
    if merges is None:
        return hashlib.sha256(b"pystory byte tokenizer").hexdigest()
    return hashlib.sha256(b"pystory bpe\0" + np.asarray(merges, "<i4").tobytes()).hexdigest()


def _tokenizer_beside(ckpt_path, name, who):
    """Load tokenizer `name` ('byte' or a file name) from the folder of ckpt_path, and nowhere else."""
    from pystory.tokenizer import load_tokenizer
    if name == "byte":
        return load_tokenizer("byte")
    if not isinstance(name, str) or not TOKENIZER_NAME.fullmatch(name):
        # never follow (or print) a path that came out of a file
        raise CheckpointError(f"{ckpt_path}: {who} names its tokenizer by a path, not by a file name in its "
                              f"own folder; refused (give the tokenizer with --tokenizer FILE)")
    folder = os.path.dirname(os.path.abspath(ckpt_path))
    path = os.path.join(folder, name)
    real_folder = os.path.realpath(folder)
    if os.path.commonpath([os.path.realpath(path), real_folder]) != real_folder:
        raise CheckpointError(f"{ckpt_path}: its tokenizer {name} is a link out of the checkpoint's folder; "
                              f"refused (give the tokenizer with --tokenizer FILE)")
    if not os.path.isfile(path):
        raise CheckpointError(f"{ckpt_path}: its tokenizer {name} is not in the checkpoint's folder "
                              f"({folder}); copy it there or give it with --tokenizer FILE")
    return load_tokenizer(path)


def place_tokenizer(spec, folder):
    """Copy tokenizer file `spec` into `folder` (atomically; kept if already identical) and return
    the name a checkpoint there should record. 'byte' stays 'byte'."""
    if spec in (None, "byte"):
        return "byte"
    name = os.path.basename(os.fspath(spec))
    if not TOKENIZER_NAME.fullmatch(name):
        name = "tokenizer.bpe"
    return place_file(spec, folder, name)


def tokenizer_file_of(ck):
    """What place_tokenizer takes for checkpoint `ck`'s tokenizer: 'byte', or the file beside it."""
    return "byte" if ck.tokenizer == "byte" else os.path.join(os.path.dirname(os.path.abspath(ck.path)), ck.tokenizer)


def place_file(src, folder, name):
    """Copy file `src` to folder/name (atomically; kept if already identical); return name."""
    dest = os.path.join(folder, name)
    with open(src, "rb") as f:
        data = f.read()
    if os.path.isfile(dest):
        with open(dest, "rb") as f:
            if f.read() == data:
                return name
    with atomic_open(dest, "wb") as f:
        f.write(data)
    return name


def load_tokenizer_of(ck, explicit=None):
    """The tokenizer of checkpoint `ck`: `explicit` (a command-line spec) if given, else the one it names.

    Either way it must be the tokenizer the model was trained with: same vocab
    size and same merges (its SHA-256 is in the header).
    """
    from pystory.tokenizer import load_tokenizer
    if explicit is not None:
        tok, where = load_tokenizer(explicit), f"--tokenizer {explicit}"
    else:
        tok, where = _tokenizer_beside(ck.path, ck.tokenizer, "the checkpoint"), f"its tokenizer {ck.tokenizer}"
    if tok.vocab_size != ck.config.vocab_size:
        raise CheckpointError(f"{ck.path}: the model has vocab size {ck.config.vocab_size}, {where} has "
                              f"{tok.vocab_size} ids; give the tokenizer it was trained with (--tokenizer FILE)")
    if tokenizer_sha256(tok) != ck.meta["tokenizer_sha256"]:
        raise CheckpointError(f"{ck.path}: {where} is not the tokenizer this model was trained with (other "
                              f"merges, same vocab size); give the right one with --tokenizer FILE")
    return tok


# --- writing ------------------------------------------------------------------------------

def _encode(header, arrays):
    payload = b"".join(np.ascontiguousarray(a).tobytes() for _, a in arrays)
    hbytes = json.dumps(header, allow_nan=False).encode()
    body = hbytes + payload
    return MAGIC + struct.pack("<QI", len(hbytes), zlib.crc32(body)) + body


def save_checkpoint(path, model, *, step=0, tokenizer="byte", dtype="float32", optimizer=True,
                    train_state=None):
    """Write model (its params, and m, v if optimizer) to path, atomically.

    tokenizer: "byte", or the file name of a tokenizer already in path's
    folder (the checkpoint records its SHA-256). Refuses non-finite numbers.
    """
    path = os.fspath(path)
    if dtype not in DTYPES:
        raise ValueError(f"save_checkpoint: dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    tok = _tokenizer_beside(path, tokenizer, "save_checkpoint")
    if tok.vocab_size != model.cfg.vocab_size:
        raise ValueError(f"save_checkpoint: tokenizer {tokenizer} has {tok.vocab_size} ids, "
                         f"the model's vocab size is {model.cfg.vocab_size}")
    be = model.be
    arrays = [("params", be.to_numpy(model.params))]
    if optimizer:
        arrays += [("m", be.to_numpy(model.m)), ("v", be.to_numpy(model.v))]
    for name, a in arrays:
        if not np.isfinite(a).all():
            raise ValueError(f"save_checkpoint({path}): {name} holds NaN or inf; refusing to save a broken model")
    arrays = [(n, a.astype(DTYPES[dtype] if n == "params" else np.float32)) for n, a in arrays]
    if dtype == "float16" and not np.isfinite(arrays[0][1]).all():
        raise ValueError(f"save_checkpoint({path}): a parameter is beyond float16's range (65504); "
                         f"save as float32")
    return save_sections(path, model.cfg, arrays, tokenizer=tokenizer, tok=tok, step=step,
                         train_state=train_state, kind=getattr(model, "KIND", "float"))


def save_sections(path, config, arrays, *, tokenizer="byte", tok=None, step=0, train_state=None,
                  kind="float", extra=None):
    """Write [(name, array), ...] as a checkpoint of `kind` (q8 and lora files use this directly);
    `extra` adds header fields of that kind. A header other than a float GPT's passes every check of
    load before it is written."""
    if kind not in KINDS:
        raise ValueError(f"save_checkpoint: unknown checkpoint kind {kind!r} (one of {list(KINDS)})")
    if tok is None:
        tok = _tokenizer_beside(path, tokenizer, "save_checkpoint")
        if tok.vocab_size != config.vocab_size:
            raise ValueError(f"save_checkpoint: tokenizer {tokenizer} has {tok.vocab_size} ids, "
                             f"the model's vocab size is {config.vocab_size}")
    header = {
        "format": FORMAT_VERSION,
        "config": config.to_dict(),
        "tokenizer": tokenizer,
        "tokenizer_sha256": tokenizer_sha256(tok),
        "step": int(step),
        "sections": [[name, a.dtype.name, int(a.size)] for name, a in arrays],
        "train_state": train_state or {},
    }
    if kind != "float":
        header.update(kind=kind, **(extra or {}))
        _check_header(path, header)               # a writer of a kind must match its own layout
    data = _encode(header, arrays)
    with atomic_open(path, "wb") as f:   # readers see the old checkpoint or the new one, never half
        f.write(data)
    return path


# --- reading ------------------------------------------------------------------------------

def _no_nan(word):
    raise ValueError(f"{word} is not a JSON number")


def _is_int(v, lo=0, hi=2**63 - 1):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _check_header(path, header):
    """The header's schema, field by field: a wrong field is named, its value is not echoed."""
    def bad(what):
        raise CheckpointError(f"{path}: corrupt checkpoint: {what}")
    if not isinstance(header, dict):
        bad("the header is not a JSON object")
    if header.get("format") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {header.get('format')!r} is not supported "
                              f"(this pystory reads format {FORMAT_VERSION})")
    kind = header.get("kind", "float")
    if not isinstance(kind, str) or kind not in KINDS:
        bad(f"'kind' must be one of {list(KINDS)}")
    sections_of, parse_config = _kind_functions(kind)
    try:
        config = (parse_config or gpt_config)(header.get("config"))
    except ValueError as e:
        bad(str(e))
    if not isinstance(header.get("tokenizer"), str):
        bad("'tokenizer' must be a string")
    sha = header.get("tokenizer_sha256")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        bad("'tokenizer_sha256' must be 64 hex digits")
    if not _is_int(header.get("step")):
        bad("'step' must be a non-negative integer")
    if not isinstance(header.get("train_state"), dict):
        bad("'train_state' must be an object")
    sections = header.get("sections")
    if not isinstance(sections, list) or not all(isinstance(s, list) and len(s) == 3 for s in sections):
        bad("'sections' must be a list of [name, dtype, count]")
    try:                                          # the layout the kind's own module defines
        want = sections_of(header, config)
    except ValueError as e:
        bad(str(e))
    if sections != want:
        bad(f"the sections of a {kind} checkpoint must be {want} for its config")
    return config


def _kind_functions(kind):
    """(sections function, config parser or None) of a kind, from its module (imported when needed:
    chapter 06's loader does not import chapter 05's or 07's modules to read a GPT)."""
    import importlib
    module, sections, parser = KINDS[kind]
    module = importlib.import_module(module)
    return getattr(module, sections), parser and getattr(module, parser)


def int_config(config_class, cfg, lo=1):
    """A config made of ints from a header's "config" object: exactly the fields of config_class,
    each an integer in [lo, 2^31), then the class's own checks. ValueError names the field."""
    names = [f for f in config_class.__dataclass_fields__]
    if not isinstance(cfg, dict) or sorted(cfg) != sorted(names):
        raise ValueError(f"'config' must have exactly the fields {names}")
    for k in names:
        if not _is_int(cfg[k], lo, 2**31 - 1):
            raise ValueError(f"config field {k!r} must be an integer in [{lo}, 2^31)")
    return config_class(**cfg)


def gpt_config(cfg):
    """The GPTConfig of a GPT kind's header."""
    return int_config(GPTConfig, cfg)


def flat_sections(header, P):
    """The sections of a model kept in one flat buffer of P parameters: params (float32, or float16
    to ship), and AdamW's m and v (float32) in a training checkpoint."""
    names = [s[0] for s in header["sections"]]
    if names not in (["params"], ["params", "m", "v"]):
        raise ValueError("the sections must be params, or params, m and v")
    dtype = header["sections"][0][1]
    if dtype not in ("float32", "float16"):
        raise ValueError("section 'params' must be float32 or float16")
    for name, _, n in header["sections"]:
        if not _is_int(n) or n != P:
            raise ValueError(f"section {name!r} must hold {P} values (what the config needs)")
    return [["params", dtype, P]] + [[name, "float32", P] for name in names[1:]]


def gpt_sections(header, cfg):
    """The sections of a float GPT (kind "float")."""
    return flat_sections(header, num_params(cfg))


def load_checkpoint(path, *, expected_config=None, expected_vocab=None, kinds=GPT_KINDS):
    """Read and validate a checkpoint of one of `kinds`; CheckpointError says which check failed."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read checkpoint: {e.strerror or e}") from None
    if data[:8] == MAGIC_V1:
        raise CheckpointError(f"{path}: checkpoint format 1 (an older pystory; its header has no checksum); "
                              f"rewrite it with `python -m pystory.checkpoint upgrade {path}`")
    if len(data) < PREFIX or data[:8] != MAGIC:
        raise CheckpointError(f"{path}: not a pystory GPT checkpoint (bad magic; corrupt file or wrong format)")
    hlen, crc = struct.unpack("<QI", data[8:PREFIX])
    if hlen > min(MAX_HEADER, len(data) - PREFIX):
        raise CheckpointError(f"{path}: corrupt checkpoint: header length {hlen} does not fit the file "
                              f"({len(data)} bytes; truncated?)")
    if zlib.crc32(memoryview(data)[PREFIX:]) != crc:
        raise CheckpointError(f"{path}: corrupt checkpoint: checksum mismatch (the file was truncated "
                              f"or changed after it was written)")
    try:
        header = json.loads(data[PREFIX:PREFIX + hlen].decode("utf-8"), parse_constant=_no_nan)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint: unreadable header ({type(e).__name__})") from None
    config = _check_header(path, header)
    kind = header.get("kind", "float")
    if kind not in kinds:
        raise CheckpointError(f"{path}: is a {kind} checkpoint; this needs a {' or '.join(kinds)} one "
                              f"(give a file of the right kind)")
    payload = memoryview(data)[PREFIX + hlen:]
    sizes = [n * np.dtype(dtype).itemsize for _, dtype, n in header["sections"]]
    if sum(sizes) != len(payload):             # before any view of the payload is made
        raise CheckpointError(f"{path}: corrupt checkpoint: the sections need {sum(sizes)} bytes, "
                              f"the payload has {len(payload)}")
    arrays, off = {}, 0
    for (name, dtype, n), nbytes in zip(header["sections"], sizes):
        a = np.frombuffer(payload, dtype=np.dtype(dtype).newbyteorder("<"), count=n, offset=off)
        off += nbytes
        if dtype == "int8":
            arrays[name] = a.copy()               # quantized weights stay integers
            continue
        arrays[name] = a.astype(np.float32)
        if not np.isfinite(arrays[name]).all():
            raise CheckpointError(f"{path}: section {name!r} holds NaN or inf values (saved from a run that "
                                  f"diverged?); refused — use an earlier checkpoint")
    if expected_vocab is not None and config.vocab_size != expected_vocab:
        raise CheckpointError(f"{path}: checkpoint vocab size {config.vocab_size} does not match the "
                              f"tokenizer's {expected_vocab} (trained with another tokenizer?)")
    if expected_config is not None and config != expected_config:
        diff = ", ".join(f"{k} {getattr(config, k)} (expected {getattr(expected_config, k)})"
                         for k in config.to_dict() if getattr(config, k) != getattr(expected_config, k))
        raise CheckpointError(f"{path}: checkpoint is from another model config: {diff}")
    return Checkpoint(path, config, arrays.get("params"), arrays.get("m"), arrays.get("v"), header, arrays)


# --- format 1 -> format 2 -----------------------------------------------------------------

def _read_v1(path):
    """(header, payload) of a format-1 file, its payload CRC-32 checked (format 1 had no header check)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 16 or data[:8] != MAGIC_V1:
        raise CheckpointError(f"{path}: not a format-1 pystory checkpoint")
    (hlen,) = struct.unpack("<Q", data[8:16])
    if 16 + hlen > len(data):
        raise CheckpointError(f"{path}: corrupt checkpoint: truncated header")
    try:
        header = json.loads(data[16:16 + hlen].decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint: unreadable header ({type(e).__name__})") from None
    payload = data[16 + hlen:]
    if not isinstance(header, dict) or zlib.crc32(payload) != header.get("crc32"):
        raise CheckpointError(f"{path}: corrupt checkpoint: checksum mismatch")
    return header, payload


def upgrade_checkpoint(path, out=None, tokenizer=None):
    """Rewrite a format-1 checkpoint as format 2; the parameter bytes are copied unchanged.

    The tokenizer must be 'byte' or a file in the checkpoint's folder; a
    format-1 training checkpoint that named it by a path needs `tokenizer`
    (a file, which is then copied beside the new checkpoint).
    """
    from pystory.tokenizer import load_tokenizer
    header, payload = _read_v1(path)
    out = os.fspath(out or path)
    name = header.get("tokenizer", "byte")
    if tokenizer is not None:
        tok = load_tokenizer(tokenizer)
        name = place_tokenizer(tokenizer, os.path.dirname(os.path.abspath(out)))
    else:
        tok = _tokenizer_beside(out, name, "the format-1 checkpoint")
    header = {k: v for k, v in header.items() if k != "crc32"}
    header.update(format=FORMAT_VERSION, tokenizer=name, tokenizer_sha256=tokenizer_sha256(tok))
    header.setdefault("step", 0)
    header.setdefault("train_state", {})
    body = json.dumps(header, allow_nan=False).encode()
    data = MAGIC + struct.pack("<QI", len(body), zlib.crc32(body + payload)) + body + payload
    with atomic_open(out, "wb") as f:
        f.write(data)
    load_checkpoint(out)                      # the rewritten file passes every check
    load_tokenizer_of(load_checkpoint(out))
    return out


def main(argv=None):
    from pystory.cli_args import Parser
    p = Parser("python -m pystory.checkpoint", description="Rewrite format-1 checkpoints as format 2 (same parameters).")
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("upgrade", help="rewrite FILE in place as format 2")
    u.add_argument("files", nargs="+", metavar="FILE")
    u.add_argument("--tokenizer", help="the tokenizer file, when the old checkpoint named it by a path")
    args = p.parse_args(argv)
    for f in args.files:
        try:
            upgrade_checkpoint(f, tokenizer=args.tokenizer)
        except (CheckpointError, OSError, ValueError) as e:
            print(f"upgrade: {e}", file=sys.stderr)
            return 2
        print(f"upgraded {f} to format {FORMAT_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
