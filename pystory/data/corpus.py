"""The TinyStories text format: stories separated by <|endoftext|> lines.

    Once upon a time, there was a little girl named Lily. ...

    ... And they lived happily ever after.
    <|endoftext|>
    Once upon a time, ...
    <|endoftext|>

A story may span several lines (paragraphs are separated by a blank line);
only a line that is exactly <|endoftext|> (surrounding spaces ignored) ends it.
This is the format of the public TinyStories files (TinyStoriesV2-GPT4-train.txt
is about 2 GB), so this module reads line by line and never needs a whole file
in memory: `iter_corpus` yields one story at a time. Stories are stripped of
leading and trailing whitespace on both write and read.
"""
from __future__ import annotations

import os
from typing import Iterable, Iterator

from pystory.atomic import atomic_open
from pystory.tokenizer import EOT

SEPARATOR = EOT                      # "<|endoftext|>"


def write_corpus(path, stories: Iterable[str]) -> int:
    """Write stories in the TinyStories format (atomically); returns how many.

    Each story is stripped and followed by a line <|endoftext|>. A story that
    is empty or contains the separator itself is refused with ValueError.
    """
    count = 0

    def chunks():
        nonlocal count
        for i, story in enumerate(stories):
            text = story.strip()
            if not text:
                raise ValueError(f"write_corpus({path}): story {i} is empty")
            if SEPARATOR in text:
                raise ValueError(f"write_corpus({path}): story {i} contains {SEPARATOR}")
            count += 1
            yield text + "\n" + SEPARATOR + "\n"

    with atomic_open(path, "w", encoding="utf-8") as f:
        for chunk in chunks():
            f.write(chunk)
    return count


def iter_corpus(path) -> Iterator[str]:
    """Yield the stories of a TinyStories-format file one at a time (streaming).

    Raises FileNotFoundError for a missing file, and ValueError naming the file
    when it is not UTF-8 or holds no story at all.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"corpus file not found: {path}")
    lineno = 0

    def numbered(f):                     # the lines, counted for the error message
        nonlocal lineno
        for lineno, line in enumerate(f, 1):
            yield line
    with open(path, encoding="utf-8", newline=None) as f:
        try:
            yield from _stories(numbered(f), path)
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: not valid UTF-8 near line {lineno + 1}: {e.reason}") from None


def stories_in(text, where="the text") -> list[str]:
    """The stories of a TinyStories-format text (str or UTF-8 bytes) already in memory."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{where}: not valid UTF-8: {e.reason}") from None
    return list(_stories(text.splitlines(keepends=True), where))


def _stories(lines, where):
    """The one rule of the format: a line that is exactly <|endoftext|> (surrounding spaces
    ignored) ends a story; a story is stripped; a last story may lack its separator."""
    count = 0
    buf: list[str] = []
    for line in lines:
        if line.strip() == SEPARATOR:
            story = "".join(buf).strip()
            buf.clear()
            if story:
                count += 1
                yield story
        else:
            buf.append(line)
    story = "".join(buf).strip()
    if story:
        count += 1
        yield story
    if count == 0:
        raise ValueError(f"{where}: no stories found (expected stories separated by {SEPARATOR} lines)")


def read_corpus(path, limit: int | None = None) -> list[str]:
    """All stories of a TinyStories-format file (or the first `limit`)."""
    out = []
    for story in iter_corpus(path):
        if limit is not None and len(out) >= limit:
            break
        out.append(story)
    return out


def iter_text_chunks(path, max_chars: int = 1 << 20) -> Iterator[str]:
    """The corpus as text chunks of about max_chars, each a run of whole stories
    joined with <|endoftext|> and ending with one.

    This is what the tokenizer encodes: every story followed by the eot token.
    Encoding big chunks instead of single stories keeps the per-call cost low.
    """
    buf, size = [], 0
    for story in iter_corpus(path):
        buf.append(story)
        size += len(story)
        if size >= max_chars:
            yield SEPARATOR.join(buf) + SEPARATOR
            buf, size = [], 0
    if buf:
        yield SEPARATOR.join(buf) + SEPARATOR
