"""python -m pystory data download tinystories: the real TinyStories corpus, fetched and checked.

    python -m pystory data download tinystories --version v2 --out data/tinystories
    python -m pystory data download tinystories --version v1 --splits val      (19 MB, a quick look)
    python -m pystory data download tinystories --url https://my.mirror/tinystories/

What it does, for each file of the chosen version (train and validation):

1. Download it from the Hugging Face dataset roneneldan/TinyStories into
   OUT/raw/, showing a progress bar (bytes, rate, time left). The bytes go to
   NAME.part first; an interrupted download (Ctrl-C, a dropped connection)
   leaves NAME.part behind, and the next run asks the server only for the
   rest (an HTTP Range request, "Range: bytes=N-").
2. Check it: the size must be the published size and the SHA-256 of the
   whole file the published one (the Git LFS object id the Hub lists for
   the file). A file that fails is refused and removed; only a file that
   passes is renamed to NAME. A file already there is checked, not fetched.
3. Convert it to our text format (stories separated by <|endoftext|> lines,
   stripped; see corpus.py): OUT/train.txt and OUT/val.txt.
4. Tokenize them into token shards (OUT/train_000.bin, ..., see shards.py)
   with --tokenizer (byte by default, a BPE file from chapter 01, or none).

Offline, the first request fails within seconds (--timeout) and the message
says what to use instead: the generated storyworld corpus, or --corpus with a
file you already have.

Why urllib and not requests or httpx. Everything this needs is in the
standard library's urllib: a Range header (kept across the Hub's redirect
to its CDN), the status (206 partial, 200 whole, 416 nothing left), the
Content-Length and Content-Range headers, timeouts, and the usual proxy
environment variables. A third-party client would add a dependency for every
learner and nothing this single stream needs (connection pools, sessions);
requests would also undo gzip on the fly by default, and a byte-exact resume
wants the bytes exactly as stored. The resume logic itself (what to ask for,
what to do when a server ignores the Range) has to be written either way;
it is below, about fifty lines.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from pystory.cli_args import Float, OutDir, Parser, Tokenizer, run

BASE_URL = "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/"
SOURCE_PAGE = "https://huggingface.co/datasets/roneneldan/TinyStories"


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    split: str          # "train" or "val": what it becomes (OUT/train.txt, OUT/val.txt)
    name: str           # the file name on the server
    size: int           # bytes
    sha256: str         # of the whole file, lower-case hex


# The published files. Sizes and SHA-256s are the Git LFS pointers of the
# dataset repository: v1 from the commit "Fix encoding problem" (5485261),
# which lists both oid and size; v2 from the files' pages at commit b7f09a3,
# which list the SHA-256, with the byte sizes those files have (2,227,753,162
# and 22,502,601, as recorded by several independent projects that checked
# the same SHA-256s). Both versions are the same on the main branch today.
KNOWN = {
    "v1": (
        RemoteFile("train", "TinyStories-train.txt", 1_924_281_556,
                   "c5cf5e22ff13614e830afbe61a99fbcbe8bcb7dd72252b989fa1117a368d401f"),
        RemoteFile("val", "TinyStories-valid.txt", 19_447_282,
                   "94e431816c4cce81ff71e4408ff8d3bda9a42e8d2663986697c3954288cb38b4"),
    ),
    "v2": (
        RemoteFile("train", "TinyStoriesV2-GPT4-train.txt", 2_227_753_162,
                   "6418d412de72888f52b5142c761ac21a582f7d1166f0bfbdb5f03ccfdec90443"),
        RemoteFile("val", "TinyStoriesV2-GPT4-valid.txt", 22_502_601,
                   "6874bae9a4c1a4e7edcf0e53b86c17817e9cf881fc75ff2368da457b80c0585d"),
    ),
}

CHUNK = 1 << 20                   # bytes read per call (1 MiB)
USER_AGENT = "pystory-data-download/1 (+https://github.com/pystory)"


class DownloadError(RuntimeError):
    """A download that cannot go on; the message names the file and what to do."""


class Offline(DownloadError):
    """The server could not be reached at all."""


# ---------------------------------------------------------------------------
# The progress bar
# ---------------------------------------------------------------------------

def human_bytes(n: float) -> str:
    """1536 -> '1.5 KB', 22_502_601 -> '22.5 MB' (powers of 1000, like the Hub shows sizes)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def human_time(s: float) -> str:
    s = int(max(s, 0))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def progress_line(name: str, done: int, total: int, rate: float, width: int = 24) -> str:
    """'valid.txt  12.3 MB / 22.5 MB  55% [#############           ]  4.1 MB/s  0:02 left'."""
    frac = done / total if total else 1.0
    filled = int(round(width * min(frac, 1.0)))
    left = (total - done) / rate if rate > 0 else float("inf")
    eta = human_time(left) + " left" if left != float("inf") else "--:-- left"
    return (f"{name}  {human_bytes(done)} / {human_bytes(total)}  {100 * frac:3.0f}% "
            f"[{'#' * filled}{' ' * (width - filled)}]  {human_bytes(rate)}/s  {eta}")


class Progress:
    """Draws progress_line on a terminal (redrawn in place), or a line every 10% elsewhere.

    The rate is smoothed over the last few seconds, so a stall shows up as a
    falling rate and a growing time left instead of a frozen number.
    """

    def __init__(self, name, total, start=0, stream=None, every_s=0.2):
        self.name, self.total, self.done = name, total, start
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every_s, self.last_draw, self.last_decile = every_s, 0.0, -1
        self.samples = [(time.monotonic(), start)]          # (time, bytes) for the rate

    def rate(self):
        t0, b0 = self.samples[0]
        t1, b1 = self.samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def update(self, n):
        self.done += n
        now = time.monotonic()
        self.samples.append((now, self.done))
        while len(self.samples) > 2 and now - self.samples[0][0] > 5.0:
            self.samples.pop(0)
        if self.tty and now - self.last_draw >= self.every_s:
            self.stream.write("\r" + progress_line(self.name, self.done, self.total, self.rate()))
            self.stream.flush()
            self.last_draw = now
        elif not self.tty and self.total:
            decile = int(10 * self.done / self.total)
            if decile != self.last_decile:
                self.last_decile = decile
                print(progress_line(self.name, self.done, self.total, self.rate()), file=self.stream, flush=True)

    def close(self):
        if self.tty:
            self.stream.write("\r" + progress_line(self.name, self.done, self.total, self.rate()) + "\n")
            self.stream.flush()


# ---------------------------------------------------------------------------
# One file: download (resuming), verify, rename
# ---------------------------------------------------------------------------

def sha256_of(path, chunk=CHUNK) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _open(url, start, timeout):
    """The response for bytes start.. of url (a Range request when start > 0)."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    if start:
        req.add_header("Range", f"bytes={start}-")
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416:                      # nothing left to send: the part is already whole
            return e
        raise DownloadError(f"{url}: the server answered {e.code} {e.reason}") from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Offline(f"cannot reach {urllib.parse.urlparse(url).netloc or url}: {reason}") from None


def _expected_length(resp, start, size, url):
    """Check the status and headers; returns where the body starts (start, or 0 if the server sent all)."""
    status = getattr(resp, "status", None) or resp.getcode()
    if status == 206:
        cr = resp.headers.get("Content-Range", "")         # "bytes 100-999/1000"
        try:
            span, total = cr.split(" ", 1)[1].split("/")
            first = int(span.split("-")[0])
        except (IndexError, ValueError):
            raise DownloadError(f"{url}: partial answer without a readable Content-Range ({cr!r})") from None
        if first != start or (total != "*" and int(total) != size):
            raise DownloadError(f"{url}: the server sent bytes {cr!r}, asked for {start}- of {size:,}")
        body_start = start
    elif status == 200:
        body_start = 0                                       # Range ignored: the whole file comes again
    else:
        raise DownloadError(f"{url}: unexpected answer {status}")
    length = resp.headers.get("Content-Length")
    if length is not None and int(length) != size - body_start:
        raise DownloadError(f"{url}: the server offers {int(length) + body_start:,} bytes, but the published "
                            f"file has {size:,} (a different file? check --url and --version)")
    return body_start


def fetch(url, dest, size, sha256, timeout=10.0, stream=None, chunk=CHUNK) -> str:
    """Download url to dest, resuming dest.part; check size and sha256; returns 'downloaded' or 'present'.

    Raises Offline when the server cannot be reached, DownloadError for a
    refused or corrupt transfer (a corrupt file is deleted, so the next run
    starts clean), and lets KeyboardInterrupt through with dest.part kept.
    """
    dest = os.fspath(dest)
    part = dest + ".part"
    name = os.path.basename(dest)
    if os.path.exists(dest):                   # already here: check it instead of fetching it again
        if os.path.getsize(dest) == size and sha256_of(dest) == sha256:
            return "present"
        os.unlink(dest)
        print(f"{dest}: did not match the published size and SHA-256; downloading it again", file=stream or sys.stderr)
    have = os.path.getsize(part) if os.path.exists(part) else 0
    if have > size:                            # longer than the file can be: start over
        os.unlink(part)
        have = 0
    h = hashlib.sha256()
    if have:
        with open(part, "rb") as f:            # the bytes we kept count towards the hash
            while block := f.read(chunk):
                h.update(block)
    if have < size:
        resp = _open(url, have, timeout)
        if getattr(resp, "code", None) == 416:  # the server has nothing after `have`
            resp.close()
        else:
            with resp:
                body_start = _expected_length(resp, have, size, url)
                if body_start == 0 and have:      # the server ignored the Range: start the file over
                    print(f"{name}: the server does not resume; starting again from byte 0",
                          file=stream or sys.stderr)
                    have, h = 0, hashlib.sha256()
                bar = Progress(name, size, have, stream=stream)
                with open(part, "ab" if have else "wb") as f:
                    try:
                        while have < size:
                            block = resp.read(min(chunk, size - have))
                            if not block:
                                break
                            f.write(block)
                            h.update(block)
                            have += len(block)
                            bar.update(len(block))
                    except (socket.timeout, TimeoutError, ConnectionError, OSError) as e:
                        f.flush()
                        raise DownloadError(f"{name}: the connection dropped after {have:,} of {size:,} bytes "
                                            f"({e}); run the same command again to resume") from None
                    finally:
                        f.flush()
                        os.fsync(f.fileno())
                        bar.close()
                if have < size:
                    raise DownloadError(f"{name}: the server stopped after {have:,} of {size:,} bytes; "
                                        f"run the same command again to resume")
    if not os.path.exists(part):               # an empty file: nothing was ever sent
        open(part, "wb").close()
    got = os.path.getsize(part)
    if got != size:
        os.unlink(part)
        raise DownloadError(f"{name}: refused: {got:,} bytes instead of {size:,}; the partial file was "
                            f"removed, run the same command to download it again")
    digest = h.hexdigest()
    if digest != sha256:
        os.unlink(part)
        raise DownloadError(f"{name}: refused: corrupt download (SHA-256 {digest[:16]}..., published "
                            f"{sha256[:16]}...); the file was removed, run the same command to download it again")
    os.replace(part, dest)                     # only a checked file gets the real name
    return "downloaded"


# ---------------------------------------------------------------------------
# Converting to our text format
# ---------------------------------------------------------------------------

def iter_raw_stories(path, chunk_chars=1 << 20):
    """The stories of a raw TinyStories file: split on <|endoftext|> wherever it is, stripped, non-empty.

    The published files put the separator on its own line, but a separator
    glued to a story's last line is split too, and bytes that are not UTF-8
    become U+FFFD rather than stopping a 2 GB conversion.
    """
    from pystory.data.corpus import SEPARATOR
    buf = ""
    with open(path, encoding="utf-8", errors="replace", newline=None) as f:
        while block := f.read(chunk_chars):
            buf += block
            *stories, buf = buf.split(SEPARATOR)
            for s in stories:
                if s.strip():
                    yield s.strip()
    if buf.strip():
        yield buf.strip()


def convert(raw_path, out_path) -> int:
    """Write the stories of a raw file in our format (atomically); returns how many."""
    from pystory.data.corpus import write_corpus
    return write_corpus(out_path, iter_raw_stories(raw_path))


# ---------------------------------------------------------------------------
# The whole command
# ---------------------------------------------------------------------------

OFFLINE_HINT = ("no network? Train on the generated corpus instead (`python -m pystory data --out "
                "data/storyworld`, then `--corpus data/storyworld`), or download the files yourself from "
                f"{SOURCE_PAGE} and pass one with --corpus PATH")


def download_tinystories(out, version="v2", url=None, splits=("train", "val"), tokenizer="byte",
                         timeout=10.0, files=None, stream=None, log=print):
    """Download, check, convert and tokenize; returns {split: path of OUT/<split>.txt}.

    files: the RemoteFile list to fetch (default KNOWN[version]); tests pass their own.
    """
    files = [f for f in (files or KNOWN[version]) if f.split in splits]
    base = url or BASE_URL
    if not base.endswith("/"):
        base += "/"
    raw_dir = os.path.join(out, "raw")
    os.makedirs(raw_dir, exist_ok=True)
    texts = {}
    for rf in files:
        dest = os.path.join(raw_dir, rf.name)
        log(f"{rf.name}: {human_bytes(rf.size)} from {base}")
        state = fetch(base + rf.name, dest, rf.size, rf.sha256, timeout=timeout, stream=stream)
        log(f"{rf.name}: {'already here and ' if state == 'present' else ''}checked "
            f"({rf.size:,} bytes, SHA-256 {rf.sha256[:16]}...)")
        text = os.path.join(out, f"{rf.split}.txt")
        n = convert(dest, text)
        log(f"{text}: {n:,} stories")
        texts[rf.split] = text
    _write_sums(raw_dir, files)
    if tokenizer and tokenizer != "none":
        from pystory.data.cli import tokenize_file
        from pystory.data.shards import read_header
        from pystory.tokenizer import load_tokenizer
        tok = load_tokenizer(tokenizer)
        for split, text in texts.items():
            paths = tokenize_file(text, tok, out, split, 100_000_000)
            n = sum(read_header(p).n_tokens for p in paths)
            log(f"{os.path.join(out, split)}_000.bin ...: {n:,} tokens in {len(paths)} shard(s) "
                f"(tokenizer {tokenizer}, vocab {tok.vocab_size})")
    return texts


def _write_sums(raw_dir, files):
    """OUT/raw/SHA256SUMS: the checked files, in the format `sha256sum -c` reads."""
    from pystory.atomic import write_text_atomic
    path = os.path.join(raw_dir, "SHA256SUMS")
    lines = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8", errors="replace"):
            parts = line.split()
            if len(parts) == 2:
                lines[parts[1]] = parts[0]
    lines.update({f.name: f.sha256 for f in files})
    write_text_atomic(path, "".join(f"{h}  {n}\n" for n, h in sorted(lines.items())))


def Splits(text):
    """--splits: 'train', 'val' or 'train,val' -> a tuple of split names."""
    splits = tuple(s.strip() for s in text.split(",") if s.strip())
    if not splits or any(s not in ("train", "val") for s in splits):
        raise argparse.ArgumentTypeError(f"must be train, val or train,val, got {text!r}")
    return splits


def TokenizerOrNone(text):
    """--tokenizer: 'none' (no shards), 'byte', or an existing merges file."""
    return text if text == "none" else Tokenizer(text)


Splits.__name__ = "splits"
TokenizerOrNone.__name__ = "tokenizer"


def parser():
    p = Parser(
        "python -m pystory data download",
        description="Download the real TinyStories corpus (Eldan & Li, 2023) from the Hugging Face dataset "
                    "roneneldan/TinyStories, check it, and turn it into train.txt, val.txt and token shards.")
    p.add_argument("dataset", choices=["tinystories"], help="what to download (only tinystories for now)")
    p.add_argument("--version", choices=sorted(KNOWN), default="v2",
                   help="v1: the original files (GPT-3.5 and GPT-4, 1.9 GB); v2: GPT-4 only, "
                        "the cleaner set (2.2 GB)")
    p.add_argument("--out", type=OutDir, default="data/tinystories", help="output folder")
    p.add_argument("--url", default=None,
                   help=f"a mirror holding the same files (default {BASE_URL}); sizes and SHA-256s are still checked")
    p.add_argument("--splits", type=Splits, default="train,val",
                   help="which files: train, val or train,val (val alone is 20 MB)")
    p.add_argument("--tokenizer", type=TokenizerOrNone, default="byte",
                   help="tokenize into shards with 'byte', a BPE file (chapter 01), or 'none'")
    p.add_argument("--timeout", type=Float(0, 600, lo_open=True), default=10.0,
                   help="seconds to wait for the server before giving up")
    return p


def main(argv=None) -> int:
    """The command; pystory.data.cli runs it through cli_args.run (bad arguments: one line, exit code 2)."""
    args = parser().parse_args(argv)
    t0 = time.perf_counter()
    try:
        download_tinystories(args.out, args.version, args.url, args.splits, args.tokenizer, args.timeout)
    except Offline as e:
        print(f"data download: {e}; {OFFLINE_HINT}", file=sys.stderr)
        return 1
    except DownloadError as e:
        print(f"data download: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndata download: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    print(f"time: {time.perf_counter() - t0:.1f} s; train with "
          f"`python -m pystory train --corpus {args.out} ...`")
    return 0


if __name__ == "__main__":
    sys.exit(run("data download", main, sys.argv[1:]))
