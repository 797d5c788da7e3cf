// cuda_emu.h — run CUDA kernels on the CPU, with CUDA semantics.
//
// pystory's emulator compiles a .cu file with the host C++ compiler:
//
//     g++ -include cuda/emu/cuda_emu.h  kernel_plus_wrappers.cpp
//
// This header is seen before the kernel source. It defines the CUDA keywords
// (__global__, __shared__, ...), the built-in variables (threadIdx, ...), the
// intrinsics (__syncthreads, __shfl_down_sync, atomicAdd, ...) and the block
// scheduler. The Python side (pystory/emu) appends one small launch wrapper
// per kernel that calls __emu::launch_kernel below.
//
// How a launch runs
// -----------------
// * The grid's blocks are independent, so they are spread over OpenMP
//   threads. One OS thread runs one block at a time, from start to end.
// * Inside a block, every CUDA thread is a *fiber*: a function call with its
//   own stack that can pause and be resumed. Fibers never run in parallel;
//   a block's scheduler (a loop on the OS thread's own stack) resumes them
//   one after another.
// * A fiber runs until it reaches a barrier (__syncthreads, a warp
//   intrinsic such as __shfl_down_sync, __syncwarp) or returns. Then it
//   switches back to the scheduler: a context switch saves its registers
//   and stack pointer and restores the scheduler's.
// * When every fiber of the block waits or has returned, the scheduler
//   decides: a warp whose participating lanes all arrived at a warp
//   intrinsic is released (the scheduler computes every lane's result, e.g.
//   which value a shuffle reads); if all threads of the block wait at
//   __syncthreads the block barrier is released; if all returned the block
//   is done; anything else can never progress on a GPU either (a deadlock
//   or a divergent barrier), so it is reported as an error instead of a hang.
// * Between barriers the order in which fibers are resumed is the
//   *schedule*: forward (thread 0 first), reverse, or a seeded shuffle. A
//   correct kernel gives the same answer under every schedule; a kernel
//   that forgot a __syncthreads usually does not, as on a real GPU.
//
// Memory
// ------
// * __shared__ variables become `static thread_local`: one copy per OS
//   thread, and each OS thread runs one block at a time, so all fibers of a
//   block see the same copy — exactly shared memory's scope.
// * `extern __shared__ T buf[];` (dynamic shared memory) is rewritten by the
//   Python side into a pointer to this OS thread's dynamic buffer, which the
//   scheduler fills with 0xFF bytes (NaN / -1) before each block, so reading
//   shared memory that was never written is visible.
// * Global memory is the NumPy arrays' memory; atomics are real CPU atomics
//   because blocks run on several OS threads at once.
//
// Two companions, included below
// ------------------------------
// * emu_guard.h: faults (NULL pointers, division by zero, stack overflow),
//   exit()/abort(), a watchdog for endless loops and Ctrl-C become an error
//   for one CUDA thread, never a dead or hung Python.
// * emu_check.h (checked builds only, -DEMU_CHECKED): the sanitizer's hooks
//   that see every memory access of the kernel (memcheck, racecheck,
//   initcheck); synccheck lives in the scheduler below.
#pragma once

#if defined(__APPLE__) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700     // macOS hides the (deprecated) ucontext functions otherwise
#define _DARWIN_C_SOURCE 1    // ... and keep MAP_ANONYMOUS & co. visible
#endif

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#if defined(__linux__)
#include <link.h>
#endif

#include <atomic>
#include <cmath>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

// Fibers switch with a few lines of assembly on x86-64 Linux and with
// ucontext elsewhere (or when compiled with -DEMU_USE_UCONTEXT).
#if !(defined(__x86_64__) && defined(__linux__)) && !defined(EMU_USE_UCONTEXT)
#define EMU_USE_UCONTEXT 1
#endif
#ifdef EMU_USE_UCONTEXT
#include <ucontext.h>
#endif

#define PYSTORY_EMU 1
#define EMU_EXPORT extern "C" __attribute__((visibility("default")))
// The emulator's own code is not instrumented in checked builds (only the
// kernel's memory accesses are watched; see emu_check.h).
#ifdef EMU_CHECKED
#define EMU_RT __attribute__((no_sanitize("thread", "undefined")))
#else
#define EMU_RT
#endif

// ---------------------------------------------------------------------------
// CUDA keywords. Kernels and device functions are ordinary C++ functions.
// ---------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)  // the Python side reads the bound itself
#define __align__(n) __attribute__((aligned(n)))
#define __constant__            // constant memory is a plain global here
#define __shared__ static thread_local  // one copy per OS thread = per block
// (__noinline__ is rewritten by the Python side: glibc headers use that
// word inside __attribute__((...)), so it cannot be a macro.)

struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
    dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    operator uint3() const { return uint3{x, y, z}; }
};

// The built-in variables. They are per OS thread; the scheduler rewrites
// threadIdx each time it resumes a fiber. They are deliberately not
// `static`: the compiler must assume any function call (a barrier) can
// change them, and reload them afterwards.
extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local uint3 blockDim;
extern thread_local uint3 gridDim;
thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local uint3 blockDim;
thread_local uint3 gridDim;
constexpr int warpSize = 32;

// ---------------------------------------------------------------------------
// Vector types (float4 & co), aligned as in CUDA so float4 loads keep their
// alignment rules.
// ---------------------------------------------------------------------------
#define EMU_VEC2(T, N, A) struct __attribute__((aligned(A))) N##2 { T x, y; }; \
    static inline N##2 make_##N##2(T x, T y) { return N##2{x, y}; }
#define EMU_VEC3(T, N) struct N##3 { T x, y, z; }; \
    static inline N##3 make_##N##3(T x, T y, T z) { return N##3{x, y, z}; }
#define EMU_VEC4(T, N, A) struct __attribute__((aligned(A))) N##4 { T x, y, z, w; }; \
    static inline N##4 make_##N##4(T x, T y, T z, T w) { return N##4{x, y, z, w}; }
EMU_VEC2(float, float, 8)  EMU_VEC3(float, float)  EMU_VEC4(float, float, 16)
EMU_VEC2(int, int, 8)      EMU_VEC3(int, int)      EMU_VEC4(int, int, 16)
EMU_VEC2(unsigned int, uint, 8)                    EMU_VEC4(unsigned int, uint, 16)
EMU_VEC2(double, double, 16)
EMU_VEC2(unsigned char, uchar, 2)                  EMU_VEC4(unsigned char, uchar, 4)
EMU_VEC2(char, char, 2)                            EMU_VEC4(char, char, 4)
static inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { return uint3{x, y, z}; }

// ---------------------------------------------------------------------------
// The scheduler's data.
// ---------------------------------------------------------------------------
namespace __emu {

enum FiberState { RUNNABLE, AT_SYNCTHREADS, AT_WARP_OP, EXITED };

// What a fiber waits at. Block barriers: plain/count/and/or. Warp ops:
// the shuffles, votes, __syncwarp and the sm_80 reductions.
enum Op {
    SYNC_PLAIN, SYNC_COUNT, SYNC_AND, SYNC_OR,
    SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR, BALLOT, ANY, ALL, SYNCWARP,
    MATCH_ANY, REDUCE_ADD, REDUCE_MIN, REDUCE_MAX, REDUCE_AND, REDUCE_OR, REDUCE_XOR
};

// The checks of the checked mode (a bit set; see cuda/emu/README.md).
enum Check { MEMCHECK = 1, RACECHECK = 2, INITCHECK = 4, SYNCCHECK = 8 };

// How a launch was stopped from outside (Launch::stop).
enum Stop { STOP_NONE = 0, STOP_TIMEOUT = 1, STOP_INTERRUPT = 2 };

// run_grid's return codes (the Python side turns them into exceptions).
enum { RC_OK = 0, RC_ERROR = 1, RC_INTERRUPTED = 2, RC_TIMEOUT = 3 };

EMU_RT static const char* op_name(int op) {
    static const char* names[] = {
        "__syncthreads()", "__syncthreads_count()", "__syncthreads_and()", "__syncthreads_or()",
        "__shfl_sync()", "__shfl_up_sync()", "__shfl_down_sync()", "__shfl_xor_sync()",
        "__ballot_sync()", "__any_sync()", "__all_sync()", "__syncwarp()",
        "__match_any_sync()", "__reduce_add_sync()", "__reduce_min_sync()", "__reduce_max_sync()",
        "__reduce_and_sync()", "__reduce_or_sync()", "__reduce_xor_sync()"};
    return names[op];
}

struct Fiber {
    void* sp;                   // saved stack pointer while paused
#ifdef EMU_USE_UCONTEXT
    ucontext_t uc;
#endif
    int state;
    int op, line;               // the barrier it waits at, and its source line
    const char* file;           // ... and source file (__FILE__)
    unsigned int mask;          // warp ops: participating lanes
    int arg, width;             // shuffles: source lane / delta / lane mask, and width
    unsigned long long value;   // what this lane contributes (bits of the value or predicate)
    unsigned long long result;  // what the scheduler hands back
    uint3 tid;
};

// One pointer parameter of a checked launch (filled by the Python side;
// ctypes mirrors this layout). The array lives in a copy with red zones.
struct CheckedParam {
    unsigned long long base;    // address of the array's first byte
    unsigned long long size;    // its extent in bytes
    unsigned char* init;        // one byte per byte: written yet? NULL = all initialised
    const char* name;           // the parameter's name
    const char* type;           // its element type, for messages ("float")
    int elem;                   // element size in bytes
    int index;                  // parameter number (0-based)
};

// Filled in by the Python side (ctypes mirrors this layout).
struct LaunchConfig {
    unsigned int grid[3];
    unsigned int block[3];
    unsigned long long shared_mem;   // dynamic shared memory, bytes
    int schedule;                    // 0 forward, 1 reverse, 2 shuffle
    int num_threads;                 // OpenMP threads; 0 = default
    unsigned long long seed;         // for the shuffle schedule
    char* err;                       // error message out
    int errlen;
    int checks;                      // Check bits (checked builds only)
    int nparams;                     // checked builds: the pointer parameters
    const CheckedParam* params;
    double timeout;                  // seconds; 0 = no limit
    char* stacks;                    // the fiber stack pool (__emu_stack_pool)
    int stack_slots;                 // how many OS threads it has stacks for
};

enum { SCHED_FORWARD = 0, SCHED_REVERSE = 1, SCHED_SHUFFLE = 2 };

constexpr int kMaxThreads = 1024;
constexpr int kMaxWorkers = 256;              // OS threads per launch
constexpr size_t kStackBytes = 128 * 1024;    // per CUDA thread
constexpr size_t kGuardBytes = 64 * 1024;     // an inaccessible gap below each stack
constexpr size_t kStackStride = kGuardBytes + kStackBytes;
constexpr size_t kSlotBytes = kStackStride * kMaxThreads;  // the stacks of one OS thread
constexpr size_t kMaxSharedBytes = 48 * 1024; // dynamic + static, as on a GPU

// One launch, shared by all OS threads running its blocks.
struct Launch {
    const char* kernel;
    const LaunchConfig* cfg;
    void (*body)(void*);             // runs the kernel for the current thread
    void* body_ctx;
    std::atomic<long long> first_failed_block{LLONG_MAX};
    std::mutex error_lock;
    std::string error;
    std::string error_check;         // the check that found it ("" = a plain error)
    // Stopping from outside: the watchdog (a time limit) or Ctrl-C.
    std::atomic<int> stop{STOP_NONE};
    double deadline = 0;             // monotonic seconds; 0 = none
    pthread_t workers[kMaxWorkers];  // the OS threads running blocks (guarded by the watchdog's lock)
    bool worker_live[kMaxWorkers] = {};
    int nworkers = 0;
    std::string stopped;             // blocks that were running when stopped (under error_lock)
    int nstopped = 0;
    std::atomic<long long> not_started{0};
};

struct Checker;  // checked builds: the sanitizer's state of one OS thread (emu_check.h)

// One per OS thread: fibers, the dynamic shared buffer, the signal stack.
struct Runner {
    char* stacks = nullptr;          // this OS thread's slot of the stack pool, during a launch
    Fiber* fibers = nullptr;
    unsigned char* dynamic_shared = nullptr;
    int nthreads = 0;
    int current = -1;                // fiber now running, -1 = the scheduler
    void* sched_sp = nullptr;
#ifdef EMU_USE_UCONTEXT
    ucontext_t sched_uc;
#endif
    Launch* launch = nullptr;
    bool failed = false;
    std::string error;
    const char* error_check = nullptr;  // set by a check's finding
    // Written by signal handlers (no allocation there): a fault's message.
    volatile sig_atomic_t fault = 0;    // 1 = a fault (SIGSEGV ...), 2 = stopped from outside
    volatile sig_atomic_t no_preempt = 0;  // inside fail(): do not abandon the fiber now
    int quiet = 0;                   // checked builds: building an error message, stop watching
    uintptr_t hook_pc = 0;           // checked builds: the kernel's latest memory access
    char sigmsg[768];
    char* altstack = nullptr;        // our signal stack, if this thread had none
    Checker* ck = nullptr;
    ~Runner() {
        free(fibers);
        free(dynamic_shared);
        if (altstack) {
            stack_t ss;
            memset(&ss, 0, sizeof ss);
            ss.ss_flags = SS_DISABLE;
            sigaltstack(&ss, nullptr);
            free(altstack);
        }
    }
};

extern thread_local Runner* t_runner;
thread_local Runner* t_runner = nullptr;

// A signal stack for this OS thread, so a fiber that overflowed its stack
// can still be reported (the handler cannot run on the exhausted stack).
EMU_RT static void ensure_altstack(Runner* r) {
    stack_t cur;
    if (sigaltstack(nullptr, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) return;  // one is there (faulthandler's)
    size_t n = 64 * 1024;
    r->altstack = (char*)malloc(n);
    if (!r->altstack) return;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = r->altstack;
    ss.ss_size = n;
    if (sigaltstack(&ss, nullptr) != 0) {
        free(r->altstack);
        r->altstack = nullptr;
    }
}

EMU_RT static Runner* get_runner() {
    static thread_local Runner runner;  // destroyed at thread exit
    if (!runner.fibers) {
        runner.fibers = (Fiber*)calloc(kMaxThreads, sizeof(Fiber));
        runner.dynamic_shared = (unsigned char*)aligned_alloc(128, kMaxSharedBytes);
        if (!runner.fibers || !runner.dynamic_shared) return nullptr;
        ensure_altstack(&runner);
    }
    t_runner = &runner;
    return &runner;
}

#ifdef EMU_CHECKED
EMU_RT static unsigned char* checked_dynamic_shared();
#endif

// The dynamic shared memory of the block this OS thread runs; the Python
// side rewrites `extern __shared__ T buf[];` to a pointer initialised here.
EMU_RT static unsigned char* dynamic_shared() {
#ifdef EMU_CHECKED
    return checked_dynamic_shared();
#else
    return get_runner()->dynamic_shared;
#endif
}

// ---------------------------------------------------------------------------
// Context switch. x86-64 Linux: 20 instructions, no system call. Elsewhere:
// ucontext (portable, but swapcontext makes a system call per switch).
// ---------------------------------------------------------------------------
#ifndef EMU_USE_UCONTEXT
// switch(save, to): push the callee-saved registers and the FPU/SSE control
// words, store the stack pointer in *save, load `to`, pop the other side's.
asm(".pushsection .text\n"
    ".globl __emu_switch_x86_64\n"
    ".hidden __emu_switch_x86_64\n"
    ".type __emu_switch_x86_64,@function\n"
    "__emu_switch_x86_64:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  subq $8, %rsp\n  stmxcsr (%rsp)\n  fnstcw 4(%rsp)\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  ldmxcsr (%rsp)\n  fldcw 4(%rsp)\n  addq $8, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size __emu_switch_x86_64, .-__emu_switch_x86_64\n"
    ".popsection\n");
extern "C" __attribute__((visibility("hidden"))) void __emu_switch_x86_64(void** save, void* to);

// A fresh stack looks as if `entry` had been switched away from: the
// switch pops a control word, six registers, then "returns" into entry.
EMU_RT static void* init_stack(char* top, void (*entry)()) {
    uint64_t* sp = (uint64_t*)((uintptr_t)top & ~(uintptr_t)15);
    *--sp = 0;                       // fake return address of entry (never used)
    *--sp = (uint64_t)entry;         // where `ret` goes
    for (int i = 0; i < 6; i++) *--sp = 0;  // rbp rbx r12 r13 r14 r15
    *--sp = 0x037F00001F80ull;       // default MXCSR (low) and x87 control word
    return sp;
}
#endif

static void fiber_entry();

// The lowest byte of fiber i's stack (its guard gap lies just below).
EMU_RT static char* stack_lo(Runner* r, int i) { return r->stacks + (size_t)i * kStackStride + kGuardBytes; }

EMU_RT static void start_fiber(Runner* r, int i) {
    Fiber& f = r->fibers[i];
    char* lo = stack_lo(r, i);
#ifdef EMU_USE_UCONTEXT
    getcontext(&f.uc);
    f.uc.uc_stack.ss_sp = lo;
    f.uc.uc_stack.ss_size = kStackBytes;
    f.uc.uc_link = nullptr;
    makecontext(&f.uc, fiber_entry, 0);
#else
    f.sp = init_stack(lo + kStackBytes, fiber_entry);
#endif
}

#ifdef EMU_CHECKED
EMU_RT static void checked_resume(Runner* r, int i);
#endif

// Scheduler -> fiber i.
EMU_RT static void resume(Runner* r, int i) {
    r->current = i;
    threadIdx = r->fibers[i].tid;
#ifdef EMU_CHECKED
    checked_resume(r, i);
#endif
#ifdef EMU_USE_UCONTEXT
    swapcontext(&r->sched_uc, &r->fibers[i].uc);
#else
    __emu_switch_x86_64(&r->sched_sp, r->fibers[i].sp);
#endif
    r->current = -1;
}

// Running fiber -> scheduler. The empty asm with a "memory" clobber tells the
// compiler that memory (shared arrays!) may have changed while we were away.
EMU_RT static void yield_to_scheduler(Runner* r) {
    Fiber& f = r->fibers[r->current];
    asm volatile("" ::: "memory");
#ifdef EMU_USE_UCONTEXT
    swapcontext(&f.uc, &r->sched_uc);
#else
    __emu_switch_x86_64(&f.sp, r->sched_sp);
#endif
    asm volatile("" ::: "memory");
}

// From a signal handler on a fiber: back to the scheduler for good (the
// fiber is abandoned, as if it had failed). Like siglongjmp.
[[noreturn]] EMU_RT static void abandon_fiber(Runner* r) {
#ifdef EMU_USE_UCONTEXT
    setcontext(&r->sched_uc);
#else
    void* junk;
    __emu_switch_x86_64(&junk, r->sched_sp);
#endif
    abort();
}

// ---------------------------------------------------------------------------
// Messages.
// ---------------------------------------------------------------------------
EMU_RT static std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
EMU_RT static std::string fmt(const char* f, ...) {
    // In a fiber, messages are only built on the way to an error; the
    // (instrumented) string code must not be watched by the checked mode.
    if (t_runner && t_runner->current >= 0) t_runner->quiet = 1;
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

EMU_RT static std::string thread_name(const Fiber& f) {
    return fmt("thread (%u,%u,%u)", f.tid.x, f.tid.y, f.tid.z);
}

// "thread (3,0,0)" or "threads (1,0,0)..(31,0,0) (31 threads)".
EMU_RT static std::string threads_name(Runner* r, const int* ids, int n) {
    if (n == 1) return thread_name(r->fibers[ids[0]]);
    const Fiber& a = r->fibers[ids[0]];
    const Fiber& b = r->fibers[ids[n - 1]];
    bool contiguous = ids[n - 1] - ids[0] == n - 1;
    return fmt("threads (%u,%u,%u)%s(%u,%u,%u) (%d threads)", a.tid.x, a.tid.y, a.tid.z,
               contiguous ? ".." : ",...,", b.tid.x, b.tid.y, b.tid.z, n);
}

// "__syncthreads() (line 12)"; lines in other files name the file: the
// Python side reads "@@line:FILE:N@@" and writes what fits the module.
EMU_RT static std::string where(const Fiber& f) {
    if (f.line <= 0) return std::string(op_name(f.op));
    return fmt("%s (@@line:%s:%d@@)", op_name(f.op), f.file ? f.file : "", f.line);
}

// Stop the running fiber for good with an error (assert, __trap, misuse).
// `check` names the check that found it (memcheck ...), or is null.
[[noreturn]] EMU_RT static void fail_as(const char* check, const std::string& msg) {
    Runner* r = t_runner;
    if (!r || r->current < 0) {
        fprintf(stderr, "cuda_emu: %s (outside a kernel)\n", msg.c_str());
        abort();
    }
    r->no_preempt = 1;
    r->error = thread_name(r->fibers[r->current]) + ": " + msg;
    r->error_check = check;
    r->failed = true;
    r->no_preempt = 0;
    yield_to_scheduler(r);
    abort();
}

[[noreturn]] EMU_RT static void fail(const std::string& msg) { fail_as(nullptr, msg); }

EMU_RT static Fiber& current_fiber(const char* what) {
    Runner* r = t_runner;
    if (!r || r->current < 0) {
        fprintf(stderr, "cuda_emu: %s called outside a kernel\n", what);
        abort();
    }
    return r->fibers[r->current];
}

// The kernel body, on its own stack. An exception must not unwind past it.
EMU_RT static void fiber_entry() {
    Runner* r = t_runner;
    try {
        r->launch->body(r->launch->body_ctx);
    } catch (...) {
        fail("a C++ exception escaped the kernel (CUDA kernels cannot throw)");
    }
    r = t_runner;
    r->fibers[r->current].state = EXITED;
    yield_to_scheduler(r);
    abort();  // an exited fiber is never resumed
}

}  // namespace __emu

// Faults (signals), the watchdog, Ctrl-C: cuda/emu/emu_guard.h.
#include "emu_guard.h"
#ifdef EMU_CHECKED
// The checked mode's sanitizer hooks: cuda/emu/emu_check.h.
#include "emu_check.h"
#endif

namespace __emu {

// ---------------------------------------------------------------------------
// Waiting at barriers (called by the intrinsics, inside a fiber).
// ---------------------------------------------------------------------------
EMU_RT static bool checking(int check) {
#ifdef EMU_CHECKED
    Runner* r = t_runner;
    return r && r->launch && (r->launch->cfg->checks & check);
#else
    (void)check;
    return false;
#endif
}

EMU_RT static unsigned long long wait_block_barrier(int op, int pred, int line, const char* file) {
    Fiber& f = current_fiber(op_name(op));
    f.state = AT_SYNCTHREADS;
    f.op = op;
    f.line = line;
    f.file = file;
    f.value = pred != 0;
    yield_to_scheduler(t_runner);
    return f.result;
}

EMU_RT static unsigned long long wait_warp_op(int op, unsigned mask, unsigned long long value,
                                              int arg, int width, int line, const char* file) {
    Fiber& f = current_fiber(op_name(op));
    int lane = (int)(&f - t_runner->fibers) % 32;
    f.line = line;
    f.file = file;
    f.op = op;
    if (!((mask >> lane) & 1u))
        fail_as(checking(SYNCCHECK) ? "synccheck" : nullptr,
                fmt("%s: mask 0x%08x does not include the calling lane %d", where(f).c_str(), mask, lane));
    if (width < 1 || width > 32 || (width & (width - 1)))
        fail(fmt("%s: width %d is not a power of two in [1, 32]", where(f).c_str(), width));
    f.state = AT_WARP_OP;
    f.mask = mask;
    f.value = value;
    f.arg = arg;
    f.width = width;
    yield_to_scheduler(t_runner);
    return f.result;
}

// ---------------------------------------------------------------------------
// The block scheduler.
// ---------------------------------------------------------------------------
EMU_RT static uint64_t splitmix64(uint64_t& s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The order in which this round resumes the threads.
EMU_RT static void round_order(int* order, int n, int schedule, uint64_t seed, long long block, int round) {
    for (int i = 0; i < n; i++) order[i] = schedule == SCHED_REVERSE ? n - 1 - i : i;
    if (schedule == SCHED_SHUFFLE) {
        uint64_t s = seed * 0x100000001B3ull ^ (uint64_t)block * 0x9E3779B97F4A7C15ull ^ (uint64_t)round;
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(splitmix64(s) % (uint64_t)(i + 1));
            std::swap(order[i], order[j]);
        }
    }
}

// synccheck: a shuffle that reads a lane outside the group gets an
// undefined value on a GPU. Returns the message, or "" when it is fine.
EMU_RT static std::string shuffle_source_problem(Runner* r, int base, unsigned group, int l, int src) {
    if (src < 0 || src >= 32 || ((group >> src) & 1u)) return "";
    const Fiber& f = r->fibers[base + l];
    bool exists = base + src < r->nthreads;
    const char* why = !((f.mask >> src) & 1u) ? "is not in the mask"
                    : !exists ? "is past the end of the block (a partial last warp)"
                              : "has exited";
    return fmt("%s: lane %d calls %s with mask 0x%08x and reads lane %d, which %s: the value is "
               "undefined on a GPU", thread_name(f).c_str(), l, where(f).c_str(), f.mask, src, why);
}

// Results of one warp op for the lanes `group` (a bit set) of the warp
// starting at fiber `base`. Returns false with r->error set on a synccheck finding.
EMU_RT static bool finish_warp_op(Runner* r, int base, unsigned group) {
    Fiber* w = r->fibers + base;
    unsigned ballot = 0;
    int nlanes = 0, nset = 0;
    for (int l = 0; l < 32; l++)
        if ((group >> l) & 1u) {
            nlanes++;
            if (w[l].value) { ballot |= 1u << l; nset++; }
        }
    bool sync = r->launch->cfg->checks & SYNCCHECK;
    for (int l = 0; l < 32; l++) {
        if (!((group >> l) & 1u)) continue;
        Fiber& f = w[l];
        unsigned width = (unsigned)f.width, seg = (unsigned)l & ~(width - 1), pos = (unsigned)l & (width - 1);
        int src = -1;  // shuffles: the lane read from, -1 = keep own value
        switch (f.op) {
        case SHFL_IDX: src = (int)(seg + ((unsigned)f.arg & (width - 1))); break;
        case SHFL_UP: src = pos >= (unsigned)f.arg ? l - f.arg : -1; break;
        case SHFL_DOWN: src = pos + (unsigned)f.arg < width ? l + f.arg : -1; break;
        case SHFL_XOR: {
            unsigned s = (unsigned)l ^ (unsigned)f.arg;
            src = s < seg + width ? (int)s : -1;
            break;
        }
        case BALLOT: f.result = ballot; break;
        case ANY: f.result = nset > 0; break;
        case ALL: f.result = nset == nlanes; break;
        case SYNCWARP: f.result = 0; break;
        case MATCH_ANY: {
            unsigned m = 0;
            for (int k = 0; k < 32; k++)
                if (((group >> k) & 1u) && w[k].value == f.value) m |= 1u << k;
            f.result = m;
            break;
        }
        default: {  // the sm_80 reductions; f.arg = 1 for signed values
            long long acc = 0;
            bool first = true;
            for (int k = 0; k < 32; k++) {
                if (!((group >> k) & 1u)) continue;
                long long v = f.arg ? (long long)(int)w[k].value : (long long)(unsigned)w[k].value;
                if (first) { acc = v; first = false; continue; }
                switch (f.op) {
                case REDUCE_ADD: acc += v; break;
                case REDUCE_MIN: acc = v < acc ? v : acc; break;
                case REDUCE_MAX: acc = v > acc ? v : acc; break;
                case REDUCE_AND: acc &= v; break;
                case REDUCE_OR: acc |= v; break;
                default: acc ^= v; break;
                }
            }
            f.result = (unsigned long long)(unsigned)acc;
        }
        }
        if (f.op >= SHFL_IDX && f.op <= SHFL_XOR) {
            if (sync) {
                std::string p = shuffle_source_problem(r, base, group, l, src);
                if (!p.empty()) {
                    r->error = p;
                    r->error_check = "synccheck";
                    return false;
                }
            }
            // a lane outside the group: undefined on a GPU, own value here
            f.result = (src >= 0 && src < 32 && ((group >> src) & 1u)) ? w[src].value : f.value;
        }
    }
#ifdef EMU_CHECKED
    if (w[__builtin_ctz(group)].op == SYNCWARP) checked_syncwarp(r, base / 32, group);
#endif
    for (int l = 0; l < 32; l++)
        if ((group >> l) & 1u) w[l].state = RUNNABLE;
    return true;
}

// Release every warp whose participants have all arrived. Returns how many
// groups were released; -1 with r->error set on a misuse that can never resolve.
EMU_RT static int release_warps(Runner* r) {
    int released = 0;
    const char* sync = (r->launch->cfg->checks & SYNCCHECK) ? "synccheck" : nullptr;
    for (int base = 0; base < r->nthreads; base += 32) {
        int lanes = r->nthreads - base < 32 ? r->nthreads - base : 32;
        unsigned exists = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;  // missing lanes of a partial warp are ignored
        Fiber* w = r->fibers + base;
        for (int l = 0; l < lanes; l++) {
            Fiber& f = w[l];
            if (f.state != AT_WARP_OP) continue;
            unsigned group = f.mask & exists;
            bool ready = true;
            for (int k = 0; k < lanes && ready; k++) {
                if (!((group >> k) & 1u)) continue;
                Fiber& g = w[k];
                if (g.state == EXITED) {
                    r->error = fmt("%s calls %s with mask 0x%08x, but lane %d (%s) has exited",
                                   thread_name(f).c_str(), where(f).c_str(), f.mask, k, thread_name(g).c_str());
                    r->error_check = sync;
                    return -1;
                }
                if (g.state != AT_WARP_OP) { ready = false; break; }
                if (g.mask != f.mask || g.op != f.op) {
                    r->error = fmt("warp %d: %s calls %s with mask 0x%08x but %s calls %s with mask 0x%08x "
                                   "(all lanes in the mask must call the same intrinsic with the same mask)",
                                   base / 32, thread_name(f).c_str(), where(f).c_str(), f.mask,
                                   thread_name(g).c_str(), where(g).c_str(), g.mask);
                    r->error_check = sync;
                    return -1;
                }
            }
            if (ready) {
                if (!finish_warp_op(r, base, group)) return -1;
                released++;
            }
        }
    }
    return released;
}

EMU_RT static bool same_barrier(const Fiber& a, const Fiber& b) {
    return a.op == b.op && a.line == b.line && (a.file == b.file || (a.file && b.file && !strcmp(a.file, b.file)));
}

// Nothing can run and no warp can be released: either every thread is at
// __syncthreads (release it), every thread exited (done), or it is an error.
// Returns 1 = released, 0 = block finished, -1 = error in r->error.
EMU_RT static int release_block(Runner* r) {
    int n = r->nthreads, nsync = 0, nexit = 0, count = 0;
    const char* sync = (r->launch->cfg->checks & SYNCCHECK) ? "synccheck" : nullptr;
    for (int i = 0; i < n; i++) {
        Fiber& f = r->fibers[i];
        if (f.state == EXITED) nexit++;
        if (f.state == AT_SYNCTHREADS) { nsync++; count += (int)f.value; }
    }
    if (nexit == n) return 0;
    if (nsync == n) {
        if (sync) {  // every thread must wait at the same __syncthreads()
            for (int i = 1; i < n; i++) {
                if (same_barrier(r->fibers[i], r->fibers[0])) continue;
                int a[kMaxThreads], b[kMaxThreads], na = 0, nb = 0;
                for (int k = 0; k < n; k++) {
                    if (same_barrier(r->fibers[k], r->fibers[0])) a[na++] = k;
                    else if (same_barrier(r->fibers[k], r->fibers[i])) b[nb++] = k;
                }
                r->error = fmt("divergent barriers: %s wait at %s but %s wait at %s (every thread of a block "
                               "must reach the same __syncthreads())",
                               threads_name(r, a, na).c_str(), where(r->fibers[0]).c_str(),
                               threads_name(r, b, nb).c_str(), where(r->fibers[i]).c_str());
                r->error_check = sync;
                return -1;
            }
        }
        for (int i = 0; i < n; i++) {
            Fiber& f = r->fibers[i];
            switch (f.op) {
            case SYNC_COUNT: f.result = (unsigned long long)count; break;
            case SYNC_AND: f.result = count == n; break;
            case SYNC_OR: f.result = count > 0; break;
            default: f.result = 0;
            }
            f.state = RUNNABLE;
        }
#ifdef EMU_CHECKED
        checked_block_barrier(r);
#endif
        return 1;
    }
    // An error: describe who waits where.
    int waiting[kMaxThreads], exited[kMaxThreads];
    int nw = 0, ne = 0, first_warp = -1;
    for (int i = 0; i < n; i++) {
        if (r->fibers[i].state == AT_SYNCTHREADS) waiting[nw++] = i;
        if (r->fibers[i].state == EXITED) exited[ne++] = i;
        if (r->fibers[i].state == AT_WARP_OP && first_warp < 0) first_warp = i;
    }
    r->error_check = sync;
    if (first_warp >= 0) {
        Fiber& f = r->fibers[first_warp];
        std::string others = nw ? threads_name(r, waiting, nw) + " wait at " + where(r->fibers[waiting[0]])
                                : std::string("the other lanes never arrive");
        r->error = fmt("deadlock: %s waits at %s with mask 0x%08x, but %s",
                       thread_name(f).c_str(), where(f).c_str(), f.mask, others.c_str());
    } else {
        r->error = fmt("barrier divergence: %s wait at %s, but %s exited without reaching it",
                       threads_name(r, waiting, nw).c_str(), where(r->fibers[waiting[0]]).c_str(),
                       threads_name(r, exited, ne).c_str());
        if (nw == 1) r->error.replace(r->error.find(" wait at "), 9, " waits at ");
    }
    return -1;
}

// Where the block's threads are, for a block stopped from outside.
EMU_RT static std::string block_whereabouts(Runner* r) {
    int at_sync = 0, at_warp = 0, running = 0;
    for (int i = 0; i < r->nthreads; i++) {
        int s = r->fibers[i].state;
        at_sync += s == AT_SYNCTHREADS;
        at_warp += s == AT_WARP_OP;
        running += s == RUNNABLE;
    }
    return fmt("%d threads at __syncthreads(), %d at warp intrinsics, %d runnable", at_sync, at_warp, running);
}

// Run one block to completion. Returns false with r->error set on failure.
EMU_RT static bool run_block(Runner* r, Launch* L, unsigned bx, unsigned by, unsigned bz, long long block_id) {
    const LaunchConfig* c = L->cfg;
    int n = (int)(c->block[0] * c->block[1] * c->block[2]);
    blockIdx = uint3{bx, by, bz};
    blockDim = uint3{c->block[0], c->block[1], c->block[2]};
    gridDim = uint3{c->grid[0], c->grid[1], c->grid[2]};
    r->nthreads = n;
    r->launch = L;
    r->failed = false;
    r->fault = 0;
    r->error.clear();
    r->error_check = nullptr;
    r->hook_pc = 0;
    memset(dynamic_shared(), 0xFF, (size_t)c->shared_mem);  // "uninitialised" shared memory reads as NaN / -1
#ifdef EMU_CHECKED
    checked_block_start(r);
#endif
    for (int i = 0; i < n; i++) {
        Fiber& f = r->fibers[i];
        unsigned li = (unsigned)i;
        f.tid = uint3{li % c->block[0], (li / c->block[0]) % c->block[1], li / (c->block[0] * c->block[1])};
        f.state = RUNNABLE;
        f.line = 0;
        f.file = nullptr;
        start_fiber(r, i);
    }
    int order[kMaxThreads];
    for (int round = 0;; round++) {
        round_order(order, n, c->schedule, c->seed, block_id, round);
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (r->fibers[i].state != RUNNABLE) continue;
            if (L->stop.load(std::memory_order_relaxed)) {
                r->fault = 2;
                snprintf(r->sigmsg, sizeof r->sigmsg, "stopped between threads (%s)", block_whereabouts(r).c_str());
                return false;
            }
            resume(r, i);
            if (r->failed) {
                if (r->fault) r->error = r->sigmsg;  // written by a signal handler (emu_guard.h)
                return false;
            }
        }
        int w = release_warps(r);
        if (w < 0) return false;
        if (w > 0) continue;
        int b = release_block(r);
        if (b < 0) return false;
        if (b == 0) return true;
    }
}

// Run a whole grid: blocks over OpenMP threads, each block on its fibers.
// Returns RC_OK, or RC_ERROR / RC_INTERRUPTED / RC_TIMEOUT with a message in cfg->err.
EMU_RT static int run_grid(const char* kernel, const LaunchConfig* cfg, void (*body)(void*), void* ctx) {
    if (!cfg->stacks || cfg->stack_slots < 1) {
        snprintf(cfg->err, (size_t)cfg->errlen, "kernel '%s': the emulator has no fiber stacks "
                 "(allocating them failed: out of address space?)", kernel);
        return RC_ERROR;
    }
    Launch L;
    L.kernel = kernel;
    L.cfg = cfg;
    L.body = body;
    L.body_ctx = ctx;
    long long gx = cfg->grid[0], gy = cfg->grid[1], gz = cfg->grid[2];
    long long nblocks = gx * gy * gz;
    int nt = cfg->num_threads;
#ifdef _OPENMP
    if (nt <= 0) nt = omp_get_max_threads();
#endif
    if (nt < 1) nt = 1;
    if (nt > cfg->stack_slots) nt = cfg->stack_slots;
    if (nt > kMaxWorkers) nt = kMaxWorkers;
    if (nblocks < nt) nt = (int)nblocks;
    L.nworkers = nt;
    double t0 = now_seconds();
    L.deadline = cfg->timeout > 0 ? t0 + cfg->timeout : 0;
    if (!guard_begin(&L)) {
        snprintf(cfg->err, (size_t)cfg->errlen, "kernel '%s': too many launches at once (at most 64)", kernel);
        return RC_ERROR;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
#ifdef _OPENMP
        int me = omp_get_thread_num();
#else
        int me = 0;
#endif
        worker_enter(&L, me);
        Runner* r = get_runner();
        if (r) r->stacks = cfg->stacks + (size_t)me * kSlotBytes;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (long long b = 0; b < nblocks; b++) {
            if (L.stop.load()) {
                L.not_started++;
                continue;
            }
            // After a failure, blocks after the failing one are skipped; the error
            // reported is the lowest failing block, whatever the OS threads did.
            if (b > L.first_failed_block.load()) continue;
            if (!r) {
                std::lock_guard<std::mutex> g(L.error_lock);
                L.error = "could not allocate the emulator's per-thread buffers (out of memory)";
                L.first_failed_block = -1;
                continue;
            }
            unsigned bx = (unsigned)(b % gx), by = (unsigned)((b / gx) % gy), bz = (unsigned)(b / (gx * gy));
            if (!run_block(r, &L, bx, by, bz, b)) {
                std::lock_guard<std::mutex> g(L.error_lock);
                if (r->fault == 2) {  // stopped from outside
                    if (L.nstopped < 8) L.stopped += fmt("%s(%u,%u,%u): ", L.nstopped ? "; " : "", bx, by, bz) + r->sigmsg;
                    L.nstopped++;
                } else if (b < L.first_failed_block.load()) {
                    L.first_failed_block = b;
                    if (r->error_check)
                        L.error = fmt("%s: kernel '%s', block (%u,%u,%u), ", r->error_check, kernel, bx, by, bz)
                                  + r->error;
                    else
                        L.error = fmt("kernel '%s', block (%u,%u,%u): ", kernel, bx, by, bz) + r->error;
                }
            }
            if (r) r->launch = nullptr;
        }
        worker_leave(&L, me);
    }
    guard_end(&L);
    (void)nt;
    fflush(stdout);  // kernel printf output appears when the launch ends
    int stop = L.stop.load();
    if (stop != STOP_NONE && L.first_failed_block.load() == LLONG_MAX) {
        std::string running = L.stopped;
        if (L.nstopped > 8) running += fmt("; and %d more", L.nstopped - 8);
        std::string msg = stop == STOP_TIMEOUT
            ? fmt("kernel '%s' timed out after %.3g s (the limit is PYSTORY_EMU_TIMEOUT=%g s; an endless loop, or a "
                  "thread spinning on another?): ", kernel, now_seconds() - t0, cfg->timeout)
            : fmt("kernel '%s' was interrupted (Ctrl-C): ", kernel);
        msg += running.empty() ? std::string("no block was running") : "blocks still running: " + running;
        if (L.not_started.load()) msg += fmt("; %lld blocks had not started", L.not_started.load());
        snprintf(cfg->err, (size_t)cfg->errlen, "%s", msg.c_str());
        return stop == STOP_TIMEOUT ? RC_TIMEOUT : RC_INTERRUPTED;
    }
    if (L.first_failed_block.load() == LLONG_MAX) return RC_OK;
    snprintf(cfg->err, (size_t)cfg->errlen, "%s", L.error.c_str());
    return RC_ERROR;
}
// ---------------------------------------------------------------------------
// Launch wrappers: unpack void** args by the kernel's own parameter types
// (the compiler deduces them, so typedefs and macros in the signature work).
// ---------------------------------------------------------------------------
template <class T> EMU_RT static T load_arg(void* p) {
    T v;
    memcpy(&v, p, sizeof(T));
    return v;
}

template <class... P> struct Call {
    void (*kernel)(P...);
    void** args;
    template <size_t... I> EMU_RT void run(std::index_sequence<I...>) {
        kernel(load_arg<typename std::remove_cv<P>::type>(args[I])...);
    }
    EMU_RT static void body(void* self) { ((Call*)self)->run(std::index_sequence_for<P...>{}); }
};

template <class... P>
EMU_RT static int launch_kernel(const char* name, void (*kernel)(P...), void** args, const LaunchConfig* cfg) {
    Call<P...> call{kernel, args};
    return run_grid(name, cfg, &Call<P...>::body, &call);
}

// Parameter type codes for the Python side's argument checks:
// "f32", "i32", "u64", "b8", "c8" (plain char); pointers "*f32", "*cf32"
// (pointer to const), "*v" (void*), "*f32x4@16" (float4*: element type,
// count, alignment); "?N" = a type Python cannot pass (N bytes).
template <class T> struct vec_info { typedef T base; static const int n = 1; };
#define EMU_VEC_INFO(V, B, N) template <> struct vec_info<V> { typedef B base; static const int n = N; };
EMU_VEC_INFO(float2, float, 2) EMU_VEC_INFO(float3, float, 3) EMU_VEC_INFO(float4, float, 4)
EMU_VEC_INFO(int2, int, 2) EMU_VEC_INFO(int3, int, 3) EMU_VEC_INFO(int4, int, 4)
EMU_VEC_INFO(uint2, unsigned int, 2) EMU_VEC_INFO(uint4, unsigned int, 4) EMU_VEC_INFO(double2, double, 2)
EMU_VEC_INFO(uchar2, unsigned char, 2) EMU_VEC_INFO(uchar4, unsigned char, 4)

template <class T> static std::string scalar_code() {
    if (std::is_same<T, bool>::value) return "b8";
    if (std::is_same<T, char>::value) return "c8";
    if (std::is_integral<T>::value || std::is_enum<T>::value)
        return std::string(std::is_signed<T>::value ? "i" : "u") + std::to_string(8 * sizeof(T));
    if (std::is_floating_point<T>::value) return "f" + std::to_string(8 * sizeof(T));
    return "?" + std::to_string(sizeof(T));
}

template <class T> static std::string param_code() {
    if constexpr (std::is_pointer<T>::value) {
        typedef typename std::remove_pointer<T>::type E;
        typedef typename std::remove_cv<E>::type B;
        std::string c = std::is_const<E>::value ? "*c" : "*";
        if constexpr (std::is_void<B>::value) {
            return c + "v";
        } else {
            typedef vec_info<B> V;
            std::string s = c + scalar_code<typename V::base>();
            if (V::n > 1) s += "x" + std::to_string(V::n) + "@" + std::to_string(alignof(B));
            return s;
        }
    } else {
        return scalar_code<T>();
    }
}

template <class... P> static const char* signature(void (*)(P...)) {
    static std::string s;
    if (s.empty()) {
        std::string parts[] = {std::string(), param_code<P>()...};
        for (size_t i = 1; i < sizeof(parts) / sizeof(parts[0]); i++) s += (i > 1 ? "," : "") + parts[i];
        s += ";";  // never empty, even for a kernel without parameters
    }
    return s.c_str();
}

}  // namespace __emu

// ---------------------------------------------------------------------------
// Barriers and warp intrinsics. Macros add the source line for messages.
// ---------------------------------------------------------------------------
#define __syncthreads() ((void)__emu::wait_block_barrier(__emu::SYNC_PLAIN, 1, __LINE__, __FILE__))
#define __syncthreads_count(p) ((int)__emu::wait_block_barrier(__emu::SYNC_COUNT, (p), __LINE__, __FILE__))
#define __syncthreads_and(p) ((int)__emu::wait_block_barrier(__emu::SYNC_AND, (p), __LINE__, __FILE__))
#define __syncthreads_or(p) ((int)__emu::wait_block_barrier(__emu::SYNC_OR, (p), __LINE__, __FILE__))

namespace __emu {
template <class T> EMU_RT static T shfl(int op, int line, const char* file, unsigned mask, T var, int arg,
                                        int width = 32) {
    static_assert(std::is_arithmetic<T>::value && sizeof(T) <= 8, "shuffles move int/float types of at most 8 bytes");
    unsigned long long bits = 0;
    memcpy(&bits, &var, sizeof(T));
    bits = wait_warp_op(op, mask, bits, arg, width, line, file);
    T out;
    memcpy(&out, &bits, sizeof(T));
    return out;
}
EMU_RT static inline unsigned vote(int op, int line, const char* file, unsigned mask, int pred) {
    return (unsigned)wait_warp_op(op, mask, pred != 0, 0, 32, line, file);
}
template <class T> EMU_RT static unsigned reduce(int op, int line, const char* file, unsigned mask, T value) {
    return (unsigned)wait_warp_op(op, mask, (unsigned)value, std::is_signed<T>::value ? 1 : 0, 32, line, file);
}
// __syncwarp() or __syncwarp(mask): a callable, so the mask can be left out.
struct SyncwarpAt {
    int line;
    const char* file;
    EMU_RT void operator()(unsigned mask = 0xffffffffu) const { wait_warp_op(SYNCWARP, mask, 0, 0, 32, line, file); }
};
EMU_RT static unsigned activemask() {
    Runner* r = t_runner;
    int base = r->current & ~31;
    unsigned m = 0;
    for (int l = 0; l < 32 && base + l < r->nthreads; l++)
        if (r->fibers[base + l].state != EXITED) m |= 1u << l;
    return m;
}
}  // namespace __emu

// Optional last arguments (width, mask) are C++ default arguments.
#define __shfl_sync(...) __emu::shfl(__emu::SHFL_IDX, __LINE__, __FILE__, __VA_ARGS__)
#define __shfl_up_sync(...) __emu::shfl(__emu::SHFL_UP, __LINE__, __FILE__, __VA_ARGS__)
#define __shfl_down_sync(...) __emu::shfl(__emu::SHFL_DOWN, __LINE__, __FILE__, __VA_ARGS__)
#define __shfl_xor_sync(...) __emu::shfl(__emu::SHFL_XOR, __LINE__, __FILE__, __VA_ARGS__)
#define __ballot_sync(m, p) __emu::vote(__emu::BALLOT, __LINE__, __FILE__, (m), (p))
#define __any_sync(m, p) ((int)__emu::vote(__emu::ANY, __LINE__, __FILE__, (m), (p)))
#define __all_sync(m, p) ((int)__emu::vote(__emu::ALL, __LINE__, __FILE__, (m), (p)))
#define __syncwarp(...) (::__emu::SyncwarpAt{__LINE__, __FILE__}(__VA_ARGS__))
#define __match_any_sync(m, v) ((unsigned)__emu::shfl(__emu::MATCH_ANY, __LINE__, __FILE__, (m), (unsigned long long)(v), 0))
#define __reduce_add_sync(m, v) __emu::reduce(__emu::REDUCE_ADD, __LINE__, __FILE__, (m), (v))
#define __reduce_min_sync(m, v) __emu::reduce(__emu::REDUCE_MIN, __LINE__, __FILE__, (m), (v))
#define __reduce_max_sync(m, v) __emu::reduce(__emu::REDUCE_MAX, __LINE__, __FILE__, (m), (v))
#define __reduce_and_sync(m, v) __emu::reduce(__emu::REDUCE_AND, __LINE__, __FILE__, (m), (v))
#define __reduce_or_sync(m, v) __emu::reduce(__emu::REDUCE_OR, __LINE__, __FILE__, (m), (v))
#define __reduce_xor_sync(m, v) __emu::reduce(__emu::REDUCE_XOR, __LINE__, __FILE__, (m), (v))
#define __activemask() __emu::activemask()

// ---------------------------------------------------------------------------
// Errors raised from kernel code: __trap(), assert().
// ---------------------------------------------------------------------------
namespace __emu {
[[noreturn]] EMU_RT static void trap_at(const char* what, int line, const char* file) {
    fail(fmt("%s called at @@line:%s:%d@@", what, file, line));
}
}  // namespace __emu
#define __trap() ::__emu::trap_at("__trap()", __LINE__, __FILE__)
#define __brkpt() ::__emu::trap_at("__brkpt()", __LINE__, __FILE__)

// assert() from <assert.h> calls __assert_fail (glibc) / __assert_rtn
// (macOS). Defining them here, hidden inside this library, turns a failed
// assert into an emulator error for the thread instead of abort()ing Python.
#if defined(__GLIBC__)
extern "C" EMU_RT void __assert_fail(const char* expr, const char* file, unsigned int line, const char* func) noexcept {
    __emu::fail(__emu::fmt("assertion '%s' failed in %s at @@line:%s:%u@@", expr, func, file, line));
}
#elif defined(__APPLE__)
extern "C" EMU_RT void __assert_rtn(const char* func, const char* file, int line, const char* expr) {
    __emu::fail(__emu::fmt("assertion '%s' failed in %s at @@line:%s:%d@@", expr, func, file, line));
}
#endif
#include <assert.h>

// ---------------------------------------------------------------------------
// Atomics: GCC __atomic builtins, relaxed order like CUDA's atomics.
// ---------------------------------------------------------------------------
#define EMU_RELAXED __ATOMIC_RELAXED
// The value parameters are not deduced (emu_same<T>::type), so that
// atomicAdd(unsigned_ptr, 1) converts the 1 as CUDA's overloads do.
template <class T> struct emu_same { typedef T type; };
// The read-modify-write atomics without a builtin: a CAS loop around f.
template <class T, class F> static inline T atomic_update(T* a, F f) {
    T old, want;
    __atomic_load(a, &old, EMU_RELAXED);
    do { want = f(old); } while (!__atomic_compare_exchange(a, &old, &want, true, EMU_RELAXED, EMU_RELAXED));
    return old;
}
template <class T> static inline T atomicAdd(T* a, typename emu_same<T>::type v) {
    if constexpr (std::is_floating_point<T>::value)  // no fetch_add for floats
        return atomic_update(a, [v](T o) { return o + v; });
    else
        return __atomic_fetch_add(a, v, EMU_RELAXED);
}
template <class T> static inline T atomicSub(T* a, typename emu_same<T>::type v) { return __atomic_fetch_sub(a, v, EMU_RELAXED); }
template <class T> static inline T atomicExch(T* a, typename emu_same<T>::type v) {
    T old;
    __atomic_exchange(a, &v, &old, EMU_RELAXED);
    return old;
}
template <class T> static inline T atomicAnd(T* a, typename emu_same<T>::type v) { return __atomic_fetch_and(a, v, EMU_RELAXED); }
template <class T> static inline T atomicOr(T* a, typename emu_same<T>::type v) { return __atomic_fetch_or(a, v, EMU_RELAXED); }
template <class T> static inline T atomicXor(T* a, typename emu_same<T>::type v) { return __atomic_fetch_xor(a, v, EMU_RELAXED); }
template <class T>
static inline T atomicCAS(T* a, typename emu_same<T>::type compare, typename emu_same<T>::type v) {
    __atomic_compare_exchange(a, &compare, &v, false, EMU_RELAXED, EMU_RELAXED);
    return compare;  // the old value, whether or not it swapped
}
template <class T> static inline T atomicMax(T* a, typename emu_same<T>::type v) {
    return atomic_update(a, [v](T o) { return o < v ? v : o; });
}
template <class T> static inline T atomicMin(T* a, typename emu_same<T>::type v) {
    return atomic_update(a, [v](T o) { return v < o ? v : o; });
}
static inline unsigned atomicInc(unsigned* a, unsigned v) {
    return atomic_update(a, [v](unsigned o) { return o >= v ? 0u : o + 1; });
}
static inline unsigned atomicDec(unsigned* a, unsigned v) {
    return atomic_update(a, [v](unsigned o) { return (o == 0 || o > v) ? v : o - 1; });
}
// The scoped variants behave the same here.
#define atomicAdd_block atomicAdd
#define atomicAdd_system atomicAdd
#define atomicCAS_block atomicCAS
#define atomicExch_block atomicExch
#define atomicMax_block atomicMax
#define atomicMin_block atomicMin

static inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---------------------------------------------------------------------------
// CUDA's overloaded min/max (global, like in CUDA; std::min is untouched).
// ---------------------------------------------------------------------------
#define EMU_MINMAX(T)                                            \
    static inline T min(T a, T b) { return b < a ? b : a; }     \
    static inline T max(T a, T b) { return a < b ? b : a; }
EMU_MINMAX(int) EMU_MINMAX(unsigned int) EMU_MINMAX(long) EMU_MINMAX(unsigned long)
EMU_MINMAX(long long) EMU_MINMAX(unsigned long long)
static inline float min(float a, float b) { return fminf(a, b); }
static inline float max(float a, float b) { return fmaxf(a, b); }
static inline double min(double a, double b) { return fmin(a, b); }
static inline double max(double a, double b) { return fmax(a, b); }
// Mixed types (int with unsigned, float with double ...) use the common type, as in CUDA.
template <class A, class B, class = typename std::enable_if<std::is_arithmetic<A>::value &&
                                                            std::is_arithmetic<B>::value &&
                                                            !std::is_same<A, B>::value>::type>
static inline typename std::common_type<A, B>::type min(A a, B b) {
    typedef typename std::common_type<A, B>::type C;
    return min((C)a, (C)b);
}
template <class A, class B, class = typename std::enable_if<std::is_arithmetic<A>::value &&
                                                            std::is_arithmetic<B>::value &&
                                                            !std::is_same<A, B>::value>::type>
static inline typename std::common_type<A, B>::type max(A a, B b) {
    typedef typename std::common_type<A, B>::type C;
    return max((C)a, (C)b);
}
static inline unsigned umin(unsigned a, unsigned b) { return min(a, b); }
static inline unsigned umax(unsigned a, unsigned b) { return max(a, b); }
static inline long long llmin(long long a, long long b) { return min(a, b); }
static inline long long llmax(long long a, long long b) { return max(a, b); }

// ---------------------------------------------------------------------------
// Math intrinsics. <math.h> gives expf, logf, ... unqualified already; the
// fast __ versions are the accurate ones here (results may differ from a
// GPU in the last bits — compare floats with a tolerance).
// ---------------------------------------------------------------------------
// glibc already declares __expf & co. as its own internal names, so these
// are macros rather than functions.
#define __expf expf
#define __exp10f exp10f
#define __logf logf
#define __log2f log2f
#define __log10f log10f
#define __sinf sinf
#define __cosf cosf
#define __tanf tanf
#define __sincosf sincosf
#define __powf powf
static inline float __fdividef(float a, float b) { return a / b; }
static inline float fdividef(float a, float b) { return a / b; }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
static inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
static inline float __fsqrt_rn(float x) { return sqrtf(x); }
static inline float __frcp_rn(float x) { return 1.0f / x; }
static inline float __saturatef(float x) { return x >= 1.0f ? 1.0f : (x > 0.0f ? x : 0.0f); }  // NaN -> 0
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
static inline float sinpif(float x) { return sinf((float)M_PI * x); }
static inline float cospif(float x) { return cosf((float)M_PI * x); }

// Conversions with explicit rounding (rn = to nearest even, rz = toward 0,
// rd = down, ru = up).
static inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
static inline int __float2int_rz(float x) { return (int)x; }
static inline int __float2int_rd(float x) { return (int)floorf(x); }
static inline int __float2int_ru(float x) { return (int)ceilf(x); }
static inline unsigned __float2uint_rn(float x) { return (unsigned)nearbyintf(x); }
static inline unsigned __float2uint_rz(float x) { return (unsigned)x; }
static inline long long __float2ll_rn(float x) { return (long long)nearbyintf(x); }
static inline long long __float2ll_rz(float x) { return (long long)x; }
static inline float __int2float_rn(int x) { return (float)x; }
static inline float __uint2float_rn(unsigned x) { return (float)x; }
static inline float __ll2float_rn(long long x) { return (float)x; }
static inline float __double2float_rn(double x) { return (float)x; }
static inline int __double2int_rn(double x) { return (int)nearbyint(x); }
static inline int __double2int_rz(double x) { return (int)x; }

// Reinterpreting bits.
template <class To, class From> static inline To emu_bits(From f) {
    static_assert(sizeof(To) == sizeof(From), "same size");
    To t;
    memcpy(&t, &f, sizeof t);
    return t;
}
static inline int __float_as_int(float x) { return emu_bits<int>(x); }
static inline unsigned __float_as_uint(float x) { return emu_bits<unsigned>(x); }
static inline float __int_as_float(int x) { return emu_bits<float>(x); }
static inline float __uint_as_float(unsigned x) { return emu_bits<float>(x); }
static inline long long __double_as_longlong(double x) { return emu_bits<long long>(x); }
static inline double __longlong_as_double(long long x) { return emu_bits<double>(x); }
static inline int __double2hiint(double x) { return (int)(emu_bits<unsigned long long>(x) >> 32); }
static inline int __double2loint(double x) { return (int)emu_bits<unsigned long long>(x); }
static inline double __hiloint2double(int hi, int lo) {
    return emu_bits<double>(((unsigned long long)(unsigned)hi << 32) | (unsigned)lo);
}

// Integer and bit intrinsics.
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
static inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline int __ffsll(long long x) { return __builtin_ffsll(x); }
static inline unsigned __brev(unsigned x) {
    unsigned r = 0;
    for (int i = 0; i < 32; i++) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}
static inline unsigned long long __brevll(unsigned long long x) {
    return ((unsigned long long)__brev((unsigned)x) << 32) | __brev((unsigned)(x >> 32));
}
static inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
    unsigned long long v = ((unsigned long long)y << 32) | x;
    unsigned r = 0;
    for (int i = 0; i < 4; i++) r |= (unsigned)((v >> (8 * ((s >> (4 * i)) & 7))) & 0xFF) << (8 * i);
    return r;
}
// __dp4a: the dot product of four packed 8-bit lanes, plus c (sm_61+). Signed lanes for
// int arguments, unsigned for unsigned ones; the sum wraps like the hardware's 32-bit add.
static inline int __dp4a(int a, int b, int c) {
    unsigned r = (unsigned)c;
    for (int i = 0; i < 4; i++) r += (unsigned)((int)(signed char)(a >> (8 * i)) * (int)(signed char)(b >> (8 * i)));
    return (int)r;
}
static inline unsigned __dp4a(unsigned a, unsigned b, unsigned c) {
    for (int i = 0; i < 4; i++) c += ((a >> (8 * i)) & 0xFFu) * ((b >> (8 * i)) & 0xFFu);
    return c;
}
static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
static inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
static inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
static inline long long __mul64hi(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
static inline int __mul24(int a, int b) { return (int)((long long)((a << 8) >> 8) * ((b << 8) >> 8)); }
static inline unsigned __umul24(unsigned a, unsigned b) { return (a & 0xFFFFFF) * (b & 0xFFFFFF); }
static inline unsigned __funnelshift_l(unsigned lo, unsigned hi, unsigned s) {
    return (unsigned)((((unsigned long long)hi << 32 | lo) << (s & 31)) >> 32);
}
static inline unsigned __funnelshift_r(unsigned lo, unsigned hi, unsigned s) {
    return (unsigned)(((unsigned long long)hi << 32 | lo) >> (s & 31));
}

// Loads and stores with cache hints are plain loads and stores on a CPU.
template <class T> static inline T __ldg(const T* p) { return *p; }
template <class T> static inline T __ldcg(const T* p) { return *p; }
template <class T> static inline T __ldca(const T* p) { return *p; }
template <class T> static inline T __ldcs(const T* p) { return *p; }
template <class T> static inline T __ldlu(const T* p) { return *p; }
template <class T> static inline T __ldcv(const T* p) { return *p; }
template <class T> static inline void __stcg(T* p, T v) { *p = v; }
template <class T> static inline void __stcs(T* p, T v) { *p = v; }
template <class T> static inline void __stwb(T* p, T v) { *p = v; }
template <class T> static inline void __stwt(T* p, T v) { *p = v; }

// ---------------------------------------------------------------------------
// exit() and abort() in a kernel would end Python itself: here they end the
// calling CUDA thread with an error instead (std::exit too).
// ---------------------------------------------------------------------------
[[noreturn]] EMU_RT static void __emu_kernel_exit(const char* what, int code, int line, const char* file) {
    __emu::fail(__emu::fmt("%s(%d) called at @@line:%s:%d@@ (a kernel cannot end the program: return from it, "
                           "or report the problem with assert())", what, code, file, line));
}
[[noreturn]] EMU_RT static void __emu_kernel_abort(int line, const char* file) {
    __emu::fail(__emu::fmt("abort() called at @@line:%s:%d@@ (a kernel cannot end the program: return from it, "
                           "or report the problem with assert())", file, line));
}
namespace std {
using ::__emu_kernel_exit;
using ::__emu_kernel_abort;
}
#define exit(code) __emu_kernel_exit("exit", (code), __LINE__, __FILE__)
#define _Exit(code) __emu_kernel_exit("_Exit", (code), __LINE__, __FILE__)
#define quick_exit(code) __emu_kernel_exit("quick_exit", (code), __LINE__, __FILE__)
#define abort() __emu_kernel_abort(__LINE__, __FILE__)
