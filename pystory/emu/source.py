"""Reading a .cu file before the C++ compiler does.

The emulator compiles CUDA source with g++, so this module does the few
things g++ cannot do by itself:

* find the kernels (``extern "C" __global__ void name(...)``), their
  parameter names, ``__launch_bounds__`` and static ``__shared__`` arrays;
* refuse CUDA features the emulator does not have, with a clear message and
  the line, before g++ would print something cryptic;
* rewrite the few constructs that are not valid C++ even with the emulator's
  macros (``extern __shared__ float buf[];``), keeping every line where it
  was so g++'s messages point at the learner's own lines; for a checked
  build, also turn each static ``__shared__`` declaration into a reference
  into the checked arena (cuda/emu/emu_check.h);
* write one small launch wrapper per kernel (see cuda/emu/cuda_emu.h).

All scanning happens on a copy of the source in which comments (and, for
most searches, string literals) are blanked out character by character, so
positions in the copy are positions in the original.
"""
import re
from dataclasses import dataclass, field


class EmuError(RuntimeError):
    """An error from the CUDA emulator: a failing kernel or a bad launch."""


class EmuCompileError(EmuError):
    """The .cu source could not be compiled for the emulator."""


# ---------------------------------------------------------------------------
# Blanking comments and strings
# ---------------------------------------------------------------------------
def blank(src, strings=True):
    """Return src with comments (and string/char literal contents if
    `strings`) replaced by spaces; newlines and length are kept."""
    out = list(src)
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = ["\n" if ch == "\n" else " " for ch in src[i:j]]
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            if strings:
                out[i + 1:j] = " " * (j - i - 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def matching(text, pos, open_ch="(", close_ch=")"):
    """Index of the bracket closing the one at text[pos], or -1."""
    depth = 0
    for j in range(pos, len(text)):
        if text[j] == open_ch:
            depth += 1
        elif text[j] == close_ch:
            depth -= 1
            if depth == 0:
                return j
    return -1


def split_top(text, sep=","):
    """Split at `sep` outside (), [], <>, {}."""
    parts, depth, start = [], 0, 0
    for j, ch in enumerate(text):
        if ch in "([<{":
            depth += 1
        elif ch in ")]>}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:j])
            start = j + 1
    parts.append(text[start:])
    return parts


# ---------------------------------------------------------------------------
# What the emulator cannot do
# ---------------------------------------------------------------------------
_SYNC_HINT = "use the _sync version with a mask, e.g. {0}_sync(0xffffffff, ...)"
UNSUPPORTED = [
    (r"\b(?:asm|__asm__|__asm)\b\s*(?:volatile\s*|__volatile__\s*)?\(", "inline PTX asm()",
     "write the operation in CUDA C++"),
    (r"\b(?:texture\s*<|cudaTextureObject_t|cudaSurfaceObject_t|tex[123]D\w*\s*[(<]|surf[123]D\w*\s*[(<])",
     "texture/surface objects", "read through a plain const pointer (const T* __restrict__ or __ldg)"),
    (r"\bcooperative_groups\b", "cooperative_groups",
     "use __syncthreads() and the *_sync warp intrinsics"),
    (r"<<<", "dynamic parallelism (a kernel launch <<<...>>> inside a .cu file)",
     "launch every kernel from Python"),
    (r"\b(__shfl|__shfl_up|__shfl_down|__shfl_xor|__ballot|__any|__all)\s*\(",
     "the deprecated non-sync warp intrinsic {0}()", _SYNC_HINT),
    (r"\b__nanosleep\s*\(", "__nanosleep()", "fibers cannot sleep; restructure the wait"),
    (r"\b(?:wmma|mma_sync|load_matrix_sync|store_matrix_sync)\b", "tensor cores (wmma/mma)",
     "write the matrix product with ordinary loads and fmaf"),
    (r"\b(?:__half2?|__nv_bfloat16\w*|__float2half\w*|__half2float|__float22half2\w*)\b|cuda_(?:fp16|bf16)\.h",
     "half precision (__half, cuda_fp16.h)", "use float"),
    (r"\bclock64\s*\(", "clock64()",
     "time kernels from the host; the emulator has no cycle counter"),
    (r"\b__managed__\b", "__managed__ memory", "pass NumPy arrays as kernel arguments"),
    (r"\b(?:__pipeline_memcpy_async|memcpy_async|cp\.async)\b", "asynchronous copies (memcpy_async)",
     "copy to shared memory with plain loads and __syncthreads()"),
]


def check_supported(code, filename):
    """Raise EmuCompileError for the first construct the emulator cannot run.
    `code` has comments and strings blanked."""
    for pattern, what, hint in UNSUPPORTED:
        m = re.search(pattern, code)
        if m:
            word = m.group(1) if m.groups() and m.group(1) else m.group(0).strip()
            what, hint = what.format(word), hint.format(word)
            raise EmuCompileError(
                f"emu: {what} is not supported by the emulator "
                f"({filename}, line {line_of(code, m.start())}); {hint}")
    # includes of half-precision headers hide inside a string-like <...>
    m = re.search(r"#\s*include\s*[<\"]\s*cuda_(?:fp16|bf16)\.h", code)
    if m:
        raise EmuCompileError(
            f"emu: half precision (__half, cuda_fp16.h) is not supported by the emulator "
            f"({filename}, line {line_of(code, m.start())}); use float")


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@dataclass
class KernelDecl:
    name: str
    params: list                 # parameter names, in order
    line: int
    launch_bounds: str = None    # the expression inside __launch_bounds__(...), first argument
    shared_sizes: list = field(default_factory=list)   # C++ sizeof(...) expressions
    shared_consts: list = field(default_factory=list)  # local constants the sizes use


_TYPE_WORDS = {"const", "volatile", "unsigned", "signed", "int", "float", "double", "char", "short",
               "long", "bool", "void", "__restrict__", "restrict", "__restrict", "struct", "size_t"}


def _param_names(params_text):
    parts = [p.strip() for p in split_top(params_text)]
    if parts == [""] or parts == ["void"]:
        return []
    names = []
    for i, p in enumerate(parts):
        p = re.sub(r"\[[^\]]*\]", "", p.split("=")[0])
        ids = re.findall(r"[A-Za-z_]\w*", p)
        names.append(ids[-1] if ids and ids[-1] not in _TYPE_WORDS and len(ids) > 1 else f"arg{i}")
    return names


def _extern_c_blocks(code_with_strings):
    """[start, end) ranges of `extern "C" { ... }` blocks."""
    spans = []
    for m in re.finditer(r'\bextern\s+"C"\s*\{', code_with_strings):
        end = matching(code_with_strings, m.end() - 1, "{", "}")
        spans.append((m.end(), end if end > 0 else len(code_with_strings)))
    return spans


def find_kernels(code, code_with_strings, filename):
    """All __global__ function definitions. `code` has comments and strings
    blanked; `code_with_strings` only comments (it still has "C")."""
    kernels = []
    c_blocks = _extern_c_blocks(code_with_strings)
    for m in re.finditer(r"\b__global__\b", code):
        # Where the declaration starts: after the previous ; { } or directive.
        start = max(code.rfind(ch, 0, m.start()) for ch in ";{}\n#")
        prefix = code_with_strings[max(0, m.start() - 300):m.start()]
        stmt_prefix = code_with_strings[start + 1:m.start()]
        decl_prefix = re.split(r"[;{}]", prefix)[-1]
        pos, bounds, name = m.end(), None, None
        while pos < len(code):
            w = re.compile(r"\s*([A-Za-z_]\w*)\s*").match(code, pos)
            if not w:
                break
            word, pos = w.group(1), w.end()
            if pos < len(code) and code[pos] == "(":
                close = matching(code, pos)
                if close < 0:
                    break
                if word == "__launch_bounds__":
                    bounds = split_top(code[pos + 1:close])[0].strip()
                    pos = close + 1
                    continue
                if word in ("__attribute__", "__align__", "alignas", "__declspec"):
                    pos = close + 1
                    continue
                name, params_text, after = word, code[pos + 1:close], close + 1
                break
        if name is None:
            continue
        rest = code[after:].lstrip()
        if not rest.startswith("{"):
            continue  # a declaration; the definition comes elsewhere
        body_start = code.index("{", after)
        body_end = matching(code, body_start, "{", "}")
        line = line_of(code, m.start())
        is_template = re.search(r"\btemplate\s*<[^;{}]*>\s*(?:static\s+|inline\s+)*$", decl_prefix) is not None
        is_c = ('extern "C"' in re.sub(r"\s+", " ", decl_prefix + stmt_prefix)
                or any(a <= m.start() < b for a, b in c_blocks))
        if is_template and not is_c:
            raise EmuCompileError(
                f"emu: a templated __global__ kernel ('{name}', {filename}, line {line}) is not supported "
                f"by the emulator; write one extern \"C\" __global__ kernel per type")
        k = KernelDecl(name=name, params=_param_names(params_text), line=line, launch_bounds=bounds)
        _static_shared(code[body_start:body_end + 1], k)
        kernels.append(k)
    return kernels


_SHARED_NOISE = re.compile(r"\b(?:static|volatile|__shared__|thread_local)\b|"
                           r"\b(?:__align__|alignas)\s*\([^()]*\)|__attribute__\s*\(\([^()]*(?:\([^()]*\))?[^()]*\)\)")


def _static_shared(body, k):
    """Record sizeof(...) of each static __shared__ array of a kernel body,
    and copies of the local constants their sizes use (const int T = 16;)."""
    consts = {}
    for c in re.finditer(r"\b(?:static\s+)?(?:constexpr|const)\s+(?:unsigned\s+|signed\s+)?"
                         r"(?:int|long|short|size_t|unsigned|int32_t|uint32_t|int64_t|uint64_t|auto)"
                         r"(?:\s+long)?(?:\s+int)?\s+([A-Za-z_]\w*)\s*=\s*([^;]+);", body):
        consts.setdefault(c.group(1), (c.start(), re.sub(r"^\s*static\s+", "", c.group(0))))
    wanted = {}

    def want(expr):
        for ident in re.findall(r"[A-Za-z_]\w*", expr):
            if ident in consts and ident not in wanted:
                wanted[ident] = consts[ident]
                want(consts[ident][1].split("=", 1)[1])

    for m in re.finditer(r"\b__shared__\b", body):
        if re.search(r"\bextern\s+(?:[\w()]+\s+)*$", body[max(0, m.start() - 80):m.start()]):
            continue  # dynamic shared memory: sized at launch
        start = max(body.rfind(ch, 0, m.start()) for ch in ";{}") + 1
        end = body.find(";", m.end())
        decl = _SHARED_NOISE.sub(" ", body[start:end]).strip()
        decls = split_top(decl)
        # "float tile[T][T+1]" -> base type "float", then per declarator
        # its pointer marks, name and array dimensions.
        first = re.match(r"^(.*?)([\s*&]*)\b([A-Za-z_]\w*)\s*((?:\[[^\]]*\]\s*)*)(?:=.*)?$", decls[0], re.S)
        if not first or not first.group(1).strip():
            continue
        base = first.group(1).strip()
        declarators = [(first.group(2), first.group(4))]
        for d in decls[1:]:
            dm = re.match(r"^([\s*&]*)\b[A-Za-z_]\w*\s*((?:\[[^\]]*\]\s*)*)(?:=.*)?$", d.strip(), re.S)
            if dm:
                declarators.append((dm.group(1), dm.group(2)))
        for ptr, dims in declarators:
            k.shared_sizes.append(f"sizeof({base} {ptr.strip()} {dims.strip()})".replace("  ", " "))
            want(dims)
    k.shared_consts = [text for _, text in sorted(wanted.values())]


# ---------------------------------------------------------------------------
# Rewriting and wrapping
# ---------------------------------------------------------------------------
_EXTERN_SHARED = re.compile(
    r"\bextern\s+((?:[\w:]+\s*(?:\([^();]*\)\s*)?|\*\s*)*?)\b([A-Za-z_]\w*)\s*\[\s*\]\s*;")

# What a checked build drops from a static __shared__ declaration (it keeps
# volatile and const: they are part of the type).
_CHECKED_NOISE = re.compile(r"\b(?:static|__shared__|thread_local)\b|"
                            r"\b(?:__align__|alignas)\s*\([^()]*\)|__attribute__\s*\(\([^()]*(?:\([^()]*\))?[^()]*\)\)")
_DECLARATOR = re.compile(r"^([\s*&]*)\b([A-Za-z_]\w*)\s*((?:\[[^\]]*\]\s*)*)$", re.S)


def _statement_start(code, pos):
    """Where the declaration around `pos` starts: after the previous ; { or },
    past blank space and preprocessor lines."""
    start = max(code.rfind(ch, 0, pos) for ch in ";{}") + 1
    while True:
        start = re.compile(r"\s*").match(code, start).end()
        if start < pos and code[start] == "#":
            end = start
            while True:  # a directive, with its continuation lines
                nl = code.find("\n", end)
                if nl < 0 or code[nl - 1] != "\\":
                    break
                end = nl + 1
            start = nl + 1 if nl >= 0 else pos
            continue
        return start


def _at_namespace_scope(code, code_with_strings, pos):
    """Is `pos` outside every function (only inside namespace / extern "C" braces)?"""
    stack = []
    for m in re.finditer(r"[{}]", code[:pos]):
        if m.group(0) == "}":
            if stack:
                stack.pop()
            continue
        before = code_with_strings[max(0, m.start() - 200):m.start()]
        before = re.split(r"[;{}]", before)[-1]
        stack.append(bool(re.search(r'(?:\bnamespace\b[\w\s:]*|\bextern\s+"C"\s*)$', before)))
    return all(stack)


def _checked_shared_edits(src, code, code_with_strings):
    """A checked build turns each static `__shared__ T name[dims];` into a
    reference into the emulator's shared-memory arena (cuda/emu/emu_check.h),
    so that every block starts with it uninitialised and it is bounds- and
    race-checked. Lines stay where they were."""
    edits = []
    counter = 0
    for m in re.finditer(r"\b__shared__\b", code):
        line_start = code.rfind("\n", 0, m.start()) + 1
        if code[line_start:m.start()].lstrip().startswith("#"):
            continue  # inside a macro definition
        start = _statement_start(code, m.start())
        end = code.find(";", m.end())
        if end < 0:
            continue
        stmt = code[start:end]
        if re.search(r"\bextern\b", stmt) or "(" in re.sub(r"\b(?:__align__|alignas|__attribute__)\s*\(.*?\)+", "", stmt):
            continue  # dynamic shared memory (below), or not a plain declaration
        parts = split_top(_CHECKED_NOISE.sub(" ", stmt))
        first = re.match(r"^(.*?)([\s*&]*)\b([A-Za-z_]\w*)\s*((?:\[[^\]]*\]\s*)*)$", parts[0].strip(), re.S)
        if not first or not first.group(1).strip():
            continue
        base = re.sub(r"\s+", " ", first.group(1)).strip()
        declarators = [(first.group(2), first.group(3), first.group(4))]
        for d in parts[1:]:
            dm = _DECLARATOR.match(d.strip())
            if dm:
                declarators.append((dm.group(1), dm.group(2), dm.group(3)))
        namespace = _at_namespace_scope(code, code_with_strings, m.start())
        out = []
        for ptr, name, dims in declarators:
            counter += 1
            t, slot = f"__emu_shared_t{counter}", f"__emu_shared_s{counter}"
            ptr, dims = ptr.replace(" ", ""), re.sub(r"\s+", "", dims)
            shown = f"{base}{ptr}{dims}".replace('"', "'")
            out.append(f"typedef {base} {ptr}{t}{dims}; static thread_local ::__emu::SharedSlot {slot}; "
                       f"{'thread_local ' if namespace else ''}{t}& {name} = "
                       f"::__emu::shared_var<{t}>({slot}, \"{name}\", \"{shown}\");")
        edits.append((start, end + 1, " ".join(out) + "\n" * src.count("\n", start, end + 1)))
    return edits


def rewrite(src, code, checked=False, code_with_strings=None):
    """Apply the line-preserving rewrites; `code` is src with comments and
    strings blanked (same length), used to find the places. A checked build
    also moves shared memory into the checked arena."""
    edits = []  # (start, end, replacement)
    if checked:
        edits += _checked_shared_edits(src, code, code_with_strings if code_with_strings is not None else code)
    for m in _EXTERN_SHARED.finditer(code):
        spec = m.group(1)
        if not re.search(r"\b__shared__\b", spec):
            continue
        ctype = re.sub(r"\s+", " ", _SHARED_NOISE.sub(" ", spec)).strip()
        name = m.group(2)
        newlines = src.count("\n", m.start(), m.end())
        if checked and not _at_namespace_scope(code, code_with_strings or code, m.start()):
            text = (f"{ctype}* const {name} = ::__emu::dynamic_shared_as<{ctype}>(\"{name}\", \"{ctype}\");")
        else:
            text = (f"static thread_local {ctype}* const {name} = "
                    f"reinterpret_cast<{ctype}*>(::__emu::dynamic_shared());")
        edits.append((m.start(), m.end(), text + "\n" * newlines))
    for m in re.finditer(r"\bstatic\s+(?=__shared__\b)|(?<=__shared__)\s+static\b", code):
        edits.append((m.start(), m.end(), " "))
    for m in re.finditer(r"\b__noinline__\b", code):
        edits.append((m.start(), m.end(), "__attribute__((noinline))"))
    out, last = [], 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], -e[1])):  # the widest edit of a place wins
        if start < last:
            continue
        out.append(src[last:start])
        out.append(text)
        last = end
    out.append(src[last:])
    return "".join(out)


def wrappers(kernels):
    """C++ appended after the kernel source: per kernel, a launch function
    and three small functions the Python side asks for facts."""
    lines = ['#line 1 "<emu-generated>"']
    for k in kernels:
        n = k.name
        sizes = " + ".join(["0ull"] + k.shared_sizes)
        bound = f"(unsigned)({k.launch_bounds})" if k.launch_bounds else "1024u"
        lines += [
            f"EMU_EXPORT int __emu_launch_{n}(void** a, const __emu::LaunchConfig* c) "
            f"{{ return __emu::launch_kernel(\"{n}\", {n}, a, c); }}",
            f"EMU_EXPORT const char* __emu_signature_{n}() {{ return __emu::signature({n}); }}",
            f"EMU_EXPORT unsigned long long __emu_static_shared_{n}() {{ "
            + " ".join(k.shared_consts) + f" return {sizes}; }}",
            f"EMU_EXPORT unsigned __emu_max_threads_{n}() {{ return {bound}; }}",
        ]
    return "\n".join(lines) + "\n"


def prepare(src, filename, checked=False):
    """Check, rewrite and wrap a .cu source. Returns (c++ text, kernels).
    `checked`: the source for a checked build (shared memory in the arena)."""
    with_strings = blank(src, strings=False)
    code = blank(src, strings=True)
    check_supported(code, filename)
    kernels = find_kernels(code, with_strings, filename)
    text = (f'#line 1 "{filename}"\n' + rewrite(src, code, checked=checked, code_with_strings=with_strings)
            + "\n" + wrappers(kernels))
    return text, kernels
