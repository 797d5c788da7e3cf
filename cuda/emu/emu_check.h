// emu_check.h — the checked mode: a sanitizer for CUDA kernels on the CPU
// (part of cuda_emu.h, compiled only into checked builds, -DEMU_CHECKED).
//
// How accesses are seen. A checked build compiles the kernel with GCC's (or
// Clang's) -fsanitize=thread instrumentation but without its runtime: the
// compiler puts a call to __tsan_read4(addr), __tsan_write8(addr),
// __tsan_atomic32_fetch_add(addr, ...) ... before every memory access of the
// kernel's code, and this file defines those functions. Each one learns the
// address, the size, whether it is a read, a write or an atomic, and (from
// its return address) where in the kernel it was made; the Python side
// turns that address into a source line with addr2line. UBSan's checks
// (-fsanitize=bounds,alignment,null,...) call our __ubsan_handle_* below
// with the file and line: they find indexes past the end of fixed-size
// arrays (local and __shared__), misaligned vector loads and NULL pointers.
//
// What an address is. Python copies every array argument into a buffer of
// its own with 64 KiB red zones on both sides and passes the copy's
// address and extent (CheckedParam). An access is then
//   * inside a parameter's extent: fine (memcheck); initcheck looks at the
//     parameter's init map, one byte per byte, when Python passed one;
//   * on the thread's own stack, in our TLS block (threadIdx ...) or in the
//     library's data (__constant__, __device__ globals): fine;
//   * in the shared-memory arena below: bounds, initcheck and racecheck;
//   * anywhere else: a memcheck finding, named after the nearest array.
//
// Shared memory. Every __shared__ declaration is rewritten (source.py) into
// a reference into this OS thread's arena, with a 256-byte red zone after
// each variable; dynamic shared memory comes first, then 4 KiB of red zone.
// Each arena byte has a shadow record: written in this block? by which
// thread, at which line, in which barrier interval, atomically? and the
// last two readers. Block-wide barriers start a new interval; __syncwarp
// orders the lanes it names (see warp_ordered). A shuffle or a vote orders
// nothing: it exchanges registers, not memory.
#pragma once

namespace __emu {

constexpr size_t kArenaDynamic = kMaxSharedBytes;        // dynamic shared memory first
constexpr size_t kArenaRed = 4096;                        // then a red zone
constexpr size_t kSlotRed = 256;                          // after each static __shared__ variable
constexpr size_t kArenaBytes = 1 << 20;                   // all static shared variables of a library
constexpr uint16_t kNoThread = 0xffff;
constexpr size_t kNear = 64 * 1024;                       // "near" an array: within its red zone

enum Access { READ = 1, WRITE = 2, ATOMIC = 4 };

// One byte of shared memory (the arena), in the current block.
struct SharedShadow {
    uint32_t gen;              // the block (generation) this record belongs to
    uint32_t w_ep, w_ws, w_pc; // last write: barrier interval, warp-sync count, pc offset
    uint32_t r_ep;             // interval of the readers below
    uint32_t r_ws[2], r_pc[2];
    uint16_t w_tid, r_tid[2];  // thread (linear index) of the last write, the last two readers
    uint8_t w_atomic, r_atomic[2], init;
};

struct SlotInfo {
    size_t off, size;          // in the arena
    const char* name;
    const char* type;          // "float[16][17]"
    size_t elem;               // bytes of one element
};

// Per warp: the __syncwarp()s of this barrier interval (a ring of masks).
struct WarpLog {
    uint32_t seq;
    unsigned mask[64];
};

struct Checker {
    int checks = 0;
    const CheckedParam* params = nullptr;
    int np = 0;
    uintptr_t stack_lo = 0;                // the running fiber's stack
    uintptr_t tls_lo = 0, tls_size = 0;    // our TLS block on this OS thread
    unsigned char* arena = nullptr;
    size_t used = 0;                       // arena bytes in use (dynamic part + slots)
    SharedShadow* shadow = nullptr;        // one per arena byte
    uint16_t* slot_of = nullptr;           // per arena byte: slot number + 1, 0 = red zone
    SlotInfo slots[1024];
    int nslots = 0;                        // slots[0] is dynamic shared memory
    const char* dyn_name = nullptr;        // the kernel's name for it
    const char* dyn_type = nullptr;
    size_t dyn_elem = 1;
    size_t dyn_bytes = 0;                  // this launch's dynamic shared memory
    uint32_t gen = 0, epoch = 1;
    WarpLog warps[kMaxThreads / 32];
};

EMU_RT static void* reserve(size_t bytes) {
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

EMU_RT static Checker* checker(Runner* r) {
    if (!r->ck) {
        Checker* c = new Checker();
        size_t total = kArenaDynamic + kArenaRed + kArenaBytes;
        c->arena = (unsigned char*)reserve(total);
        c->shadow = (SharedShadow*)reserve(total * sizeof(SharedShadow));
        c->slot_of = (uint16_t*)reserve((total + 64) * sizeof(uint16_t));
        if (!c->arena || !c->shadow || !c->slot_of) {
            fprintf(stderr, "cuda_emu: cannot reserve the checked mode's shared memory (out of address space)\n");
            abort();
        }
        c->used = kArenaDynamic + kArenaRed;
        c->slots[0] = SlotInfo{0, 0, "dynamic shared memory", "", 1};
        c->nslots = 1;
        c->tls_lo = (uintptr_t)this_thread_tls_block();
        c->tls_size = c->tls_lo ? module_info().tls_size : 0;
        r->ck = c;
    }
    return r->ck;
}

EMU_RT static unsigned char* checked_dynamic_shared() {
    Runner* r = get_runner();
    return checker(r)->arena;
}

// `extern __shared__ T name[];` in a checked build (source.py): the pointer,
// and the kernel's name for the buffer, for messages.
template <class T> EMU_RT static T* dynamic_shared_as(const char* name, const char* type) {
    Runner* r = get_runner();
    Checker* c = checker(r);
    c->dyn_name = name;
    c->dyn_type = type;
    c->dyn_elem = sizeof(T);
    return reinterpret_cast<T*>(c->arena);
}

// A static `__shared__ T name;` in a checked build: one slot of the arena
// per declaration and OS thread (SharedSlot is `static thread_local`).
struct SharedSlot { void* p; };

EMU_RT static void* shared_alloc(size_t size, size_t align, size_t elem, const char* name, const char* type) {
    Runner* r = get_runner();
    Checker* c = checker(r);
    if (c->nslots >= 1024) fail("the checked mode supports at most 1023 __shared__ variables per library");
    size_t off = (c->used + align - 1) / align * align;
    if (off + size + kSlotRed > kArenaDynamic + kArenaRed + kArenaBytes)
        fail("the checked mode ran out of room for __shared__ variables (1 MiB per library)");
    int id = c->nslots++;
    c->slots[id] = SlotInfo{off, size, name, type, elem ? elem : 1};
    for (size_t i = 0; i < size; i++) c->slot_of[off + i] = (uint16_t)(id + 1);
    c->used = off + size + kSlotRed;
    memset(c->arena + off, 0xFF, size);
    return c->arena + off;
}

template <class T> EMU_RT static T& shared_var(SharedSlot& s, const char* name, const char* type) {
    if (!s.p) {
        size_t a = alignof(T) > 16 ? alignof(T) : 16;
        s.p = shared_alloc(sizeof(T), a, sizeof(typename std::remove_all_extents<T>::type), name, type);
    }
    return *reinterpret_cast<T*>(s.p);
}

// --- called by the scheduler ----------------------------------------------------
EMU_RT static void checked_block_start(Runner* r) {
    Checker* c = checker(r);
    const LaunchConfig* cfg = r->launch->cfg;
    c->checks = cfg->checks;
    c->params = cfg->params;
    c->np = cfg->nparams;
    c->gen++;
    c->epoch = 1;
    r->quiet = 0;
    for (int w = 0; w < (r->nthreads + 31) / 32; w++) c->warps[w].seq = 0;
    if (c->dyn_bytes != cfg->shared_mem || c->gen == 1) {  // the dynamic slot's extent
        c->dyn_bytes = (size_t)cfg->shared_mem;
        for (size_t i = 0; i < kArenaDynamic + kArenaRed; i++) c->slot_of[i] = i < c->dyn_bytes ? 1 : 0;
        c->slots[0].size = c->dyn_bytes;
    }
    if (c->used > kArenaDynamic + kArenaRed)  // static shared memory starts "uninitialised" in every block
        memset(c->arena + kArenaDynamic + kArenaRed, 0xFF, c->used - kArenaDynamic - kArenaRed);
}

EMU_RT static void checked_resume(Runner* r, int i) {
    r->ck->stack_lo = (uintptr_t)stack_lo(r, i);
}

EMU_RT static void checked_block_barrier(Runner* r) {
    Checker* c = r->ck;
    c->epoch++;
    for (int w = 0; w < (r->nthreads + 31) / 32; w++) c->warps[w].seq = 0;
}

EMU_RT static void checked_syncwarp(Runner* r, int warp, unsigned group) {
    WarpLog& w = r->ck->warps[warp];
    w.seq++;
    w.mask[w.seq & 63] = group;
}

// Is an earlier access by thread a (warp-sync count ws_a then) ordered
// before now for thread b, within one barrier interval? Only if both are in
// one warp and a __syncwarp() naming both lanes came in between.
EMU_RT static bool warp_ordered(Checker* c, int a, uint32_t ws_a, int b) {
    if ((a >> 5) != (b >> 5)) return false;
    const WarpLog& w = c->warps[a >> 5];
    unsigned need = (1u << (a & 31)) | (1u << (b & 31));
    for (uint32_t s = w.seq; s > ws_a; s--) {
        if (w.seq - s >= 64) return true;  // older than the ring: assume it was ordered
        if ((w.mask[s & 63] & need) == need) return true;
    }
    return false;
}

// --- findings ---------------------------------------------------------------------
[[noreturn]] EMU_RT static void report(const char* check, const std::string& msg) {
    fail_as(check, msg);
}

EMU_RT static std::string pc_text(uint32_t pc) { return fmt("at @@pc:%x@@", pc); }

EMU_RT static const char* access_name(int kind) {
    return (kind & ATOMIC) ? "atomic access" : (kind & WRITE) ? "write" : "read";
}

EMU_RT static const char* access_verb(int kind, bool past) {
    if (kind & ATOMIC) return past ? "updated it atomically" : "updates it atomically";
    if (kind & WRITE) return past ? "wrote it" : "writes it";
    return past ? "read it" : "reads it";
}

// "x[7]" or "x[byte 30]" for an address inside or near a parameter.
EMU_RT static std::string param_index(const CheckedParam& p, uintptr_t a) {
    long long off = (long long)(a - p.base);
    if (off % p.elem == 0) return fmt("%s[%lld]", p.name, off / p.elem);
    return fmt("%s[byte %lld]", p.name, off);
}

EMU_RT static std::string param_extent(const CheckedParam& p) {
    return fmt("'%s' (parameter %d, %s*) has %llu element%s (%llu bytes)", p.name, p.index + 1, p.type,
               (unsigned long long)(p.size / p.elem), p.size / p.elem == 1 ? "" : "s", (unsigned long long)p.size);
}

EMU_RT static std::string slot_index(const SlotInfo& s, long long off) {
    const char* name = s.off == 0 && t_runner && t_runner->ck && t_runner->ck->dyn_name ? t_runner->ck->dyn_name : s.name;
    size_t elem = s.off == 0 && t_runner && t_runner->ck ? t_runner->ck->dyn_elem : s.elem;
    if (off % (long long)elem == 0) return fmt("%s[%lld]", name, off / (long long)elem);
    return fmt("%s[byte %lld]", name, off);
}

EMU_RT static std::string slot_desc(Checker* c, int id) {
    const SlotInfo& s = c->slots[id];
    if (id == 0)
        return fmt("dynamic shared memory %s%s%s(%s*, %zu bytes: the launch's shared_mem)", c->dyn_name ? "'" : "",
                   c->dyn_name ? c->dyn_name : "", c->dyn_name ? "' " : "", c->dyn_type ? c->dyn_type : "void",
                   c->dyn_bytes);
    return fmt("shared memory '%s' (%s, %zu bytes)", s.name, s.type, s.size);
}

EMU_RT static std::string thread_text(Runner* r, int tid) { return thread_name(r->fibers[tid]); }

[[noreturn]] EMU_RT static void param_oob(const CheckedParam& p, uintptr_t a, unsigned n, int kind, uint32_t pc) {
    report("memcheck", fmt("out-of-bounds %s of %u bytes at %s %s: %s", access_name(kind), n,
                           param_index(p, a).c_str(), pc_text(pc).c_str(), param_extent(p).c_str()));
}

[[noreturn]] EMU_RT static void stray(Runner* r, Checker* c, uintptr_t a, unsigned n, int kind, uint32_t pc) {
    uintptr_t lo = (uintptr_t)r->stacks;
    if (lo && a >= lo && a < lo + kSlotBytes) {
        int g = guard_of(r, a);
        int owner = (int)((a - lo) / kStackStride);
        if (g == r->current)
            report("memcheck", fmt("stack overflow: a %s %s runs past the thread's %zu KiB stack (a deep "
                                   "recursion, or local arrays too large?)", access_name(kind),
                                   pc_text(pc).c_str(), kStackBytes / 1024));
        report("memcheck", fmt("%s of %u bytes %s into the local memory of %s (a pointer to another thread's "
                               "local variable?)", access_name(kind), n, pc_text(pc).c_str(),
                               owner < r->nthreads ? thread_text(r, owner).c_str() : "no thread"));
    }
    const CheckedParam* best = nullptr;
    uintptr_t dist = ~(uintptr_t)0;
    for (int i = 0; i < c->np; i++) {
        const CheckedParam& p = c->params[i];
        uintptr_t d = a < p.base ? p.base - a : a - (p.base + p.size);
        if (a >= p.base && a < p.base + p.size) d = 0;
        if (d < dist) { dist = d; best = &p; }
    }
    if (best && dist <= kNear) param_oob(*best, a, n, kind, pc);
    if (a < 65536)
        report("memcheck", fmt("%s of %u bytes through a NULL pointer (address 0x%lx) %s", access_name(kind), n,
                               (unsigned long)a, pc_text(pc).c_str()));
    report("memcheck", fmt("%s of %u bytes at address 0x%lx %s: not in any array passed to the kernel, nor in "
                           "shared or local memory (a wild pointer?)", access_name(kind), n, (unsigned long)a,
                           pc_text(pc).c_str()));
}

// --- global memory ------------------------------------------------------------------
EMU_RT static void global_access(Checker* c, const CheckedParam& p, uintptr_t off, unsigned n, int kind,
                                 uint32_t pc) {
    if (!p.init || !(c->checks & INITCHECK)) return;
    if (kind & READ)
        for (unsigned k = 0; k < n; k++)
            if (!__atomic_load_n(p.init + off + k, __ATOMIC_RELAXED))
                report("initcheck", fmt("%s of uninitialised global memory at %s %s: nothing has written it since "
                                        "it was allocated with empty()", access_name(kind),
                                        param_index(p, p.base + off + k).c_str(), pc_text(pc).c_str()));
    if (kind & WRITE)
        for (unsigned k = 0; k < n; k++) __atomic_store_n(p.init + off + k, (unsigned char)1, __ATOMIC_RELAXED);
}

// --- shared memory ------------------------------------------------------------------
[[noreturn]] EMU_RT static void shared_oob(Checker* c, size_t off, unsigned n, int kind, uint32_t pc) {
    int id = c->slot_of[off] ? c->slot_of[off] - 1 : -1;
    if (id < 0 || off + n > c->slots[id].off + c->slots[id].size) {  // in a red zone: the nearest variable
        size_t best = ~(size_t)0;
        for (int i = 0; i < c->nslots; i++) {
            const SlotInfo& s = c->slots[i];
            size_t d = off < s.off ? s.off - off : off + 1 > s.off + s.size ? off + 1 - (s.off + s.size) : 0;
            if (d < best) { best = d; id = i; }
        }
    }
    const SlotInfo& s = c->slots[id];
    report("memcheck", fmt("out-of-bounds %s of %u bytes at %s %s: %s", access_name(kind), n,
                           slot_index(s, (long long)off - (long long)s.off).c_str(), pc_text(pc).c_str(),
                           slot_desc(c, id).c_str()));
}

[[noreturn]] EMU_RT static void race(Runner* r, Checker* c, int id, size_t off, const char* hazard, int tid,
                                     int kind, uint32_t pc, int other, int other_kind, uint32_t other_pc) {
    const SlotInfo& s = c->slots[id];
    report("racecheck", fmt("%s hazard on %s, %s: %s %s %s, and %s %s %s, with no barrier between them "
                            "(a __syncthreads() is missing, or a __syncwarp() for threads of one warp)", hazard,
                            slot_index(s, (long long)(off - s.off)).c_str(), slot_desc(c, id).c_str(),
                            thread_text(r, tid).c_str(), access_verb(kind, false), pc_text(pc).c_str(),
                            thread_text(r, other).c_str(), access_verb(other_kind, true),
                            pc_text(other_pc).c_str()));
}

EMU_RT static void shared_access(Runner* r, Checker* c, uintptr_t a, unsigned n, int kind, uint32_t pc) {
    size_t off = a - (uintptr_t)c->arena;
    int sid = c->slot_of[off];
    if (!sid || c->slot_of[off + n - 1] != sid) {
        if (c->checks & MEMCHECK) shared_oob(c, off, n, kind, pc);
        return;
    }
    if (!(c->checks & (RACECHECK | INITCHECK))) return;
    int id = sid - 1;
    int tid = r->current;
    uint32_t ep = c->epoch, ws = c->warps[tid >> 5].seq;
    bool atomic = kind & ATOMIC;
    for (unsigned k = 0; k < n; k++) {
        SharedShadow& h = c->shadow[off + k];
        if (h.gen != c->gen) {
            memset(&h, 0, sizeof h);
            h.gen = c->gen;
            h.w_tid = h.r_tid[0] = h.r_tid[1] = kNoThread;
        }
        if (kind & READ) {
            if ((c->checks & INITCHECK) && !h.init)
                report("initcheck", fmt("%s of uninitialised shared memory at %s, %s, %s: no thread of this block "
                                        "has written it", access_name(kind),
                                        slot_index(c->slots[id], (long long)(off + k - c->slots[id].off)).c_str(),
                                        slot_desc(c, id).c_str(), pc_text(pc).c_str()));
            if ((c->checks & RACECHECK) && h.w_ep == ep && h.w_tid != tid && !(h.w_atomic && atomic) &&
                !warp_ordered(c, h.w_tid, h.w_ws, tid))
                race(r, c, id, off + k, "read-after-write", tid, kind & ~WRITE, pc, h.w_tid,
                     WRITE | (h.w_atomic ? ATOMIC : 0), h.w_pc);
        }
        if (kind & WRITE) {
            if (c->checks & RACECHECK) {
                if (h.w_ep == ep && h.w_tid != tid && !(h.w_atomic && atomic) && !warp_ordered(c, h.w_tid, h.w_ws, tid))
                    race(r, c, id, off + k, "write-after-write", tid, kind, pc, h.w_tid,
                         WRITE | (h.w_atomic ? ATOMIC : 0), h.w_pc);
                if (h.r_ep == ep)
                    for (int j = 0; j < 2; j++)
                        if (h.r_tid[j] != kNoThread && h.r_tid[j] != tid && !(h.r_atomic[j] && atomic) &&
                            !warp_ordered(c, h.r_tid[j], h.r_ws[j], tid))
                            race(r, c, id, off + k, "write-after-read", tid, kind, pc, h.r_tid[j],
                                 READ | (h.r_atomic[j] ? ATOMIC : 0), h.r_pc[j]);
            }
            h.init = 1;
            h.w_ep = ep;
            h.w_tid = (uint16_t)tid;
            h.w_ws = ws;
            h.w_pc = pc;
            h.w_atomic = atomic;
        }
        if (kind & READ) {
            int j;
            if (h.r_ep != ep) {
                h.r_ep = ep;
                h.r_tid[1] = kNoThread;
                j = 0;
            } else {
                j = h.r_tid[0] == tid ? 0 : 1;
            }
            h.r_tid[j] = (uint16_t)tid;
            h.r_ws[j] = ws;
            h.r_pc[j] = pc;
            h.r_atomic[j] = atomic;
        }
    }
}

// --- every instrumented access comes here -------------------------------------------
__attribute__((noinline)) EMU_RT static void on_access(uintptr_t a, unsigned n, int kind, void* ret) {
    Runner* r = t_runner;
    if (__builtin_expect(!r || r->current < 0 || !r->ck || r->quiet, 0)) return;
    r->hook_pc = (uintptr_t)ret;  // where the kernel is, should the watchdog stop it in here
    Checker* c = r->ck;
    if (a - c->stack_lo < kStackBytes) return;                      // the thread's own locals
    for (int i = 0; i < c->np; i++) {                               // the kernel's arrays
        const CheckedParam& p = c->params[i];
        uintptr_t off = a - p.base;
        if (off < p.size) {
            if (off + n > p.size) {  // runs past the end
                if (c->checks & MEMCHECK) param_oob(p, a, n, kind, (uint32_t)pc_offset((uintptr_t)ret));
                n = (unsigned)(p.size - off);
            }
            global_access(c, p, off, n, kind, (uint32_t)pc_offset((uintptr_t)ret));
            return;
        }
    }
    if (a - c->tls_lo < c->tls_size) return;                        // threadIdx & co.
    if (a - (uintptr_t)c->arena < c->used) {                        // shared memory
        shared_access(r, c, a, n, kind, (uint32_t)pc_offset((uintptr_t)ret));
        return;
    }
    const ModuleInfo& m = module_info();
    if (a >= m.data_lo && a < m.data_hi) return;                    // __constant__, __device__, literals
    if (!m.ok && a >= 65536) return;                                // no map of memory here: allow
    if (c->checks & MEMCHECK) stray(r, c, a, n, kind, (uint32_t)pc_offset((uintptr_t)ret));
}

}  // namespace __emu

// ---------------------------------------------------------------------------
// The instrumentation's entry points (the ABI of -fsanitize=thread).
// ---------------------------------------------------------------------------
#define EMU_HOOK extern "C" EMU_RT __attribute__((used))
// The call's return address, minus one: inside the instrumented access's line.
#define EMU_RET ((void*)((char*)__builtin_return_address(0) - 1))
#define EMU_ACCESS_HOOKS(N)                                                                                    \
    EMU_HOOK void __tsan_read##N(void* a) { __emu::on_access((uintptr_t)a, N, __emu::READ, EMU_RET); }        \
    EMU_HOOK void __tsan_write##N(void* a) { __emu::on_access((uintptr_t)a, N, __emu::WRITE, EMU_RET); }      \
    EMU_HOOK void __tsan_unaligned_read##N(void* a) { __emu::on_access((uintptr_t)a, N, __emu::READ, EMU_RET); } \
    EMU_HOOK void __tsan_unaligned_write##N(void* a) { __emu::on_access((uintptr_t)a, N, __emu::WRITE, EMU_RET); } \
    EMU_HOOK void __tsan_volatile_read##N(void* a) { __emu::on_access((uintptr_t)a, N, __emu::READ, EMU_RET); } \
    EMU_HOOK void __tsan_volatile_write##N(void* a) { __emu::on_access((uintptr_t)a, N, __emu::WRITE, EMU_RET); }
EMU_ACCESS_HOOKS(1)
EMU_ACCESS_HOOKS(2)
EMU_ACCESS_HOOKS(4)
EMU_ACCESS_HOOKS(8)
EMU_ACCESS_HOOKS(16)
EMU_HOOK void __tsan_read_range(void* a, unsigned long n) { __emu::on_access((uintptr_t)a, (unsigned)n, __emu::READ, EMU_RET); }
EMU_HOOK void __tsan_write_range(void* a, unsigned long n) { __emu::on_access((uintptr_t)a, (unsigned)n, __emu::WRITE, EMU_RET); }
EMU_HOOK void __tsan_init() {}
EMU_HOOK void __tsan_func_entry(void*) {}
EMU_HOOK void __tsan_func_exit() {}
EMU_HOOK void __tsan_vptr_update(void**, void*) {}
EMU_HOOK void __tsan_vptr_read(void**) {}
EMU_HOOK void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
EMU_HOOK void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

// Atomics: do the operation (relaxed is enough for CUDA's atomics; the
// orders asked for are kept) and record an atomic access.
#define EMU_ATOMIC_HOOKS(N, T)                                                                                  \
    EMU_HOOK T __tsan_atomic##N##_load(const volatile T* a, int mo) {                                          \
        __emu::on_access((uintptr_t)a, N / 8, __emu::READ | __emu::ATOMIC, EMU_RET);                           \
        (void)mo;                                                                                              \
        return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                                  \
    }                                                                                                          \
    EMU_HOOK void __tsan_atomic##N##_store(volatile T* a, T v, int mo) {                                       \
        __emu::on_access((uintptr_t)a, N / 8, __emu::WRITE | __emu::ATOMIC, EMU_RET);                          \
        (void)mo;                                                                                              \
        __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                     \
    }                                                                                                          \
    EMU_HOOK T __tsan_atomic##N##_exchange(volatile T* a, T v, int mo) {                                       \
        __emu::on_access((uintptr_t)a, N / 8, __emu::READ | __emu::WRITE | __emu::ATOMIC, EMU_RET);            \
        (void)mo;                                                                                              \
        return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                           \
    }                                                                                                          \
    EMU_ATOMIC_RMW(N, T, fetch_add, __atomic_fetch_add)                                                        \
    EMU_ATOMIC_RMW(N, T, fetch_sub, __atomic_fetch_sub)                                                        \
    EMU_ATOMIC_RMW(N, T, fetch_and, __atomic_fetch_and)                                                        \
    EMU_ATOMIC_RMW(N, T, fetch_or, __atomic_fetch_or)                                                          \
    EMU_ATOMIC_RMW(N, T, fetch_xor, __atomic_fetch_xor)                                                        \
    EMU_ATOMIC_RMW(N, T, fetch_nand, __atomic_fetch_nand)                                                      \
    EMU_HOOK int __tsan_atomic##N##_compare_exchange_strong(volatile T* a, T* c, T v, int mo, int fmo) {       \
        __emu::on_access((uintptr_t)a, N / 8, __emu::READ | __emu::WRITE | __emu::ATOMIC, EMU_RET);            \
        (void)mo; (void)fmo;                                                                                   \
        return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                \
    }                                                                                                          \
    EMU_HOOK int __tsan_atomic##N##_compare_exchange_weak(volatile T* a, T* c, T v, int mo, int fmo) {         \
        __emu::on_access((uintptr_t)a, N / 8, __emu::READ | __emu::WRITE | __emu::ATOMIC, EMU_RET);            \
        (void)mo; (void)fmo;                                                                                   \
        return __atomic_compare_exchange_n(a, c, v, true, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                 \
    }                                                                                                          \
    EMU_HOOK T __tsan_atomic##N##_compare_exchange_val(volatile T* a, T c, T v, int mo, int fmo) {             \
        __emu::on_access((uintptr_t)a, N / 8, __emu::READ | __emu::WRITE | __emu::ATOMIC, EMU_RET);            \
        (void)mo; (void)fmo;                                                                                   \
        __atomic_compare_exchange_n(a, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                      \
        return c;                                                                                              \
    }
#define EMU_ATOMIC_RMW(N, T, NAME, BUILTIN)                                                                     \
    EMU_HOOK T __tsan_atomic##N##_##NAME(volatile T* a, T v, int mo) {                                         \
        __emu::on_access((uintptr_t)a, N / 8, __emu::READ | __emu::WRITE | __emu::ATOMIC, EMU_RET);            \
        (void)mo;                                                                                              \
        return BUILTIN(a, v, __ATOMIC_SEQ_CST);                                                                \
    }
EMU_ATOMIC_HOOKS(8, uint8_t)
EMU_ATOMIC_HOOKS(16, uint16_t)
EMU_ATOMIC_HOOKS(32, uint32_t)
EMU_ATOMIC_HOOKS(64, uint64_t)

// ---------------------------------------------------------------------------
// UBSan's entry points (the ABI of -fsanitize=bounds,alignment,null,...).
// ---------------------------------------------------------------------------
namespace __emu {
struct UbLoc { const char* file; uint32_t line, column; };
struct UbType { uint16_t kind, info; char name[1]; };
struct UbOutOfBounds { UbLoc loc; const UbType* array_type; const UbType* index_type; };
struct UbTypeMismatch { UbLoc loc; const UbType* type; unsigned char log_align, check_kind; };
struct UbOverflow { UbLoc loc; const UbType* type; };
struct UbShift { UbLoc loc; const UbType* lhs_type; const UbType* rhs_type; };
struct UbVla { UbLoc loc; const UbType* type; };
struct UbUnreachable { UbLoc loc; };

// An integer operand: inline when it fits a pointer, else a pointer to it.
EMU_RT static long long ub_int(const UbType* t, uintptr_t v) {
    unsigned bits = 1u << (t->info >> 1);
    bool is_signed = t->info & 1;
    if (bits > 8 * sizeof(uintptr_t)) return *(const long long*)v;
    if (!is_signed) return (long long)v;
    if (bits >= 64) return (long long)v;
    unsigned long long x = (unsigned long long)v & ((1ull << bits) - 1);
    return (long long)(x ^ (1ull << (bits - 1))) - (long long)(1ull << (bits - 1));
}

EMU_RT static std::string ub_where(const UbLoc& l, void* ret) {
    return fmt("at @@pc:%llx;line:%s:%u@@", pc_offset((uintptr_t)ret), l.file ? l.file : "", l.line);
}

// A pointer named after the parameter it points into, if any.
EMU_RT static std::string pointer_text(uintptr_t p) {
    Runner* r = t_runner;
    if (r && r->ck)
        for (int i = 0; i < r->ck->np; i++) {
            const CheckedParam& q = r->ck->params[i];
            if (p >= q.base && p < q.base + q.size + 16)
                return fmt("'%s' + %llu bytes", q.name, (unsigned long long)(p - q.base));
        }
    return fmt("0x%lx", (unsigned long)p);
}
}  // namespace __emu

EMU_HOOK void __ubsan_handle_out_of_bounds(__emu::UbOutOfBounds* d, uintptr_t index) {
    __emu::report("memcheck", __emu::fmt("index %lld is out of bounds for type %s %s", __emu::ub_int(d->index_type, index),
                                         d->array_type->name, __emu::ub_where(d->loc, EMU_RET).c_str()));
}
EMU_HOOK void __ubsan_handle_type_mismatch_v1(__emu::UbTypeMismatch* d, uintptr_t p) {
    static const char* kinds[] = {"load of", "store to", "reference binding to", "member access within",
                                  "member call on", "constructor call on", "downcast of", "downcast of",
                                  "upcast of", "cast to virtual base of", "_Nonnull binding to", "dynamic operation on"};
    const char* what = d->check_kind < 12 ? kinds[d->check_kind] : "use of";
    if (!p)
        __emu::report("memcheck", __emu::fmt("%s a NULL pointer of type %s %s", what, d->type->name,
                                             __emu::ub_where(d->loc, EMU_RET).c_str()));
    unsigned long align = 1ul << d->log_align;
    if (p & (align - 1))
        __emu::report("memcheck", __emu::fmt("misaligned %s address %s for type %s, which needs %lu-byte alignment, %s "
                                             "(a vector load such as float4 needs an address that is a multiple of its "
                                             "size)", what, __emu::pointer_text(p).c_str(), d->type->name, align,
                                             __emu::ub_where(d->loc, EMU_RET).c_str()));
    __emu::report("memcheck", __emu::fmt("%s address %s with insufficient space for an object of type %s %s", what,
                                         __emu::pointer_text(p).c_str(), d->type->name,
                                         __emu::ub_where(d->loc, EMU_RET).c_str()));
}
EMU_HOOK void __ubsan_handle_divrem_overflow(__emu::UbOverflow* d, uintptr_t lhs, uintptr_t rhs) {
    long long b = __emu::ub_int(d->type, rhs);
    __emu::fail(__emu::fmt("%s %s", b == 0 ? "integer division by zero" : "integer overflow in a division (INT_MIN / -1)",
                           __emu::ub_where(d->loc, EMU_RET).c_str()));
    (void)lhs;
}
EMU_HOOK void __ubsan_handle_shift_out_of_bounds(__emu::UbShift* d, uintptr_t lhs, uintptr_t rhs) {
    __emu::fail(__emu::fmt("shift by %lld of a %s is out of range (undefined) %s", __emu::ub_int(d->rhs_type, rhs),
                           d->lhs_type->name, __emu::ub_where(d->loc, EMU_RET).c_str()));
    (void)lhs;
}
EMU_HOOK void __ubsan_handle_vla_bound_not_positive(__emu::UbVla* d, uintptr_t bound) {
    __emu::fail(__emu::fmt("variable-length array bound %lld is not positive %s", __emu::ub_int(d->type, bound),
                           __emu::ub_where(d->loc, EMU_RET).c_str()));
}
EMU_HOOK void __ubsan_handle_builtin_unreachable(__emu::UbUnreachable* d) {
    __emu::fail(__emu::fmt("__builtin_unreachable() was reached %s", __emu::ub_where(d->loc, EMU_RET).c_str()));
}
EMU_HOOK void __ubsan_handle_missing_return(__emu::UbUnreachable* d) {
    __emu::fail(__emu::fmt("the end of a function that returns a value was reached without a return %s",
                           __emu::ub_where(d->loc, EMU_RET).c_str()));
}
// The non-recovering variants (-fno-sanitize-recover) report the same way.
EMU_HOOK void __ubsan_handle_out_of_bounds_abort(__emu::UbOutOfBounds* d, uintptr_t i) { __ubsan_handle_out_of_bounds(d, i); }
EMU_HOOK void __ubsan_handle_type_mismatch_v1_abort(__emu::UbTypeMismatch* d, uintptr_t p) { __ubsan_handle_type_mismatch_v1(d, p); }
EMU_HOOK void __ubsan_handle_divrem_overflow_abort(__emu::UbOverflow* d, uintptr_t a, uintptr_t b) { __ubsan_handle_divrem_overflow(d, a, b); }
EMU_HOOK void __ubsan_handle_shift_out_of_bounds_abort(__emu::UbShift* d, uintptr_t a, uintptr_t b) { __ubsan_handle_shift_out_of_bounds(d, a, b); }
EMU_HOOK void __ubsan_handle_vla_bound_not_positive_abort(__emu::UbVla* d, uintptr_t b) { __ubsan_handle_vla_bound_not_positive(d, b); }
