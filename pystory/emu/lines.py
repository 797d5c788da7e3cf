"""Source lines for the emulator's messages.

The runtime (cuda/emu/) cannot know source lines by itself: what it knows is
a program counter, written into its messages as ``@@pc:OFFSET@@`` (an
offset into the compiled library), or a line it was given by the compiler,
``@@line:FILE:N@@``. This module replaces each such token with "line N"
(in the kernel's own file) or "file.cuh:N" (elsewhere), using addr2line (or
llvm-symbolizer) on the library's debug information. Without either tool a
pc stays an offset, and the message says how to get lines.
"""
import contextlib
import functools
import os
import re
import shutil
import subprocess

EMU_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "cuda", "emu"))
_TOKEN = re.compile(r"@@(pc|line):([^@]*)@@")


def _tool():
    for name in ("addr2line", "llvm-addr2line", "eu-addr2line"):
        path = shutil.which(name)
        if path:
            return path
    return None


@functools.lru_cache(maxsize=64)
def _frames(lib, offsets):
    """{offset: [(function, file, line), ...] innermost first} from addr2line."""
    tool = _tool()
    if tool is None or not offsets:
        return {}
    cmd = [tool, "-e", lib, "-f", "-i", "-C", "-a"] + [hex(o) for o in offsets]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    frames, cur, pending = {}, None, None
    for ln in out.splitlines():
        ln = ln.strip()
        if re.fullmatch(r"0x[0-9a-fA-F]+", ln):
            cur = int(ln, 16)
            frames[cur] = []
            pending = None
        elif cur is not None and pending is None:
            pending = ln  # the function
        elif cur is not None:
            m = re.match(r"(.*):(\d+|\?)", ln)
            if m and m.group(2) != "?":
                frames[cur].append((pending, m.group(1), int(m.group(2))))
            pending = None
    return frames


def place(file, line, module_file):
    """'line 12' in the kernel's own file, 'x.cuh:12' elsewhere."""
    if module_file and (file == module_file or os.path.abspath(file) == os.path.abspath(module_file)):
        return f"line {line}"
    return f"{os.path.basename(file) or file}:{line}"


def _user_frames(frames):
    return [f for f in frames if not os.path.abspath(f[1]).startswith(EMU_DIR + os.sep)
            and not f[1].startswith("<emu-generated>") and f[2] > 0]


def describe(frames, module_file):
    """'line 12' or 'line 12 (in warp_sum, called at line 40)'."""
    user = _user_frames(frames)
    if not user:
        return None
    func, file, line = user[0]
    text = place(file, line, module_file)
    # An inlined device function: say where it was called (addr2line names
    # inlined frames only with full debug information).
    outer = next((f for f in user[1:] if f[0] != func), None)
    if outer and func and func != "??":
        text += f" (in {func.split('(')[0]}, called at {place(outer[1], outer[2], module_file)})"
    return text


def symbolize(message, lib, module_file):
    """Replace the runtime's @@...@@ tokens in `message` with source places."""
    tokens = _TOKEN.findall(message)
    if not tokens:
        return message
    offsets = set()
    for kind, body in tokens:
        if kind == "pc":
            for part in ("pc:" + body).split(";"):
                if part.startswith("pc:"):
                    with contextlib.suppress(ValueError):
                        offsets.add(int(part[3:], 16))
    frames = _frames(lib, tuple(sorted(offsets))) if lib else {}

    def one(m):
        kind, body = m.group(1), m.group(2)
        if kind == "line":
            file, _, line = body.rpartition(":")
            return place(file, line, module_file) if line.isdigit() else "an unknown line"
        pc, _, fallback = body.partition(";")
        try:
            text = describe(frames.get(int(pc, 16), []), module_file)
        except ValueError:
            text = None
        if text:
            return text
        if fallback.startswith("pc:"):  # inside the runtime: the kernel's last access instead
            return one(re.match(_TOKEN, f"@@{fallback}@@"))
        if fallback.startswith("line:"):
            file, _, line = fallback[5:].rpartition(":")
            if line.isdigit():
                return place(file, line, module_file)
        how = "" if _tool() else "; install binutils (addr2line) to see source lines"
        return f"an unknown line (library offset 0x{pc}{how})"

    return _TOKEN.sub(one, message)
