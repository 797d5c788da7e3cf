// emu_guard.h — never a hang, never a dead interpreter (part of cuda_emu.h).
//
// A kernel runs inside the Python process, so a bug in it must not take
// Python down or hang it. This file turns what would be fatal into an error
// for the one CUDA thread that caused it, which the launch reports:
//
// * Faults. While a launch runs, handlers for SIGSEGV, SIGBUS, SIGFPE and
//   SIGILL are installed (and the previous ones restored afterwards).
//   A fault on a fiber (a NULL or wild pointer, an integer division by
//   zero, the trap the compiler plants where it proved undefined behaviour,
//   a stack overflow into the guard gap below every fiber stack) is written
//   down without allocating, and the handler jumps back to the block's
//   scheduler, abandoning the fiber — like siglongjmp. A fault anywhere
//   else is passed on to the previous handler, as if we were not there.
// * A watchdog thread. Each launch has a deadline (PYSTORY_EMU_TIMEOUT). Past
//   it, or after Ctrl-C, the watchdog marks the launch stopped and sends
//   SIGURG to the OS threads running its blocks. The SIGURG handler abandons
//   the running fiber if it is executing this library's code (a kernel in
//   an endless loop); in libc or libm it waits for the next SIGURG, 25 ms
//   later. Schedulers check the mark between fibers, and blocks not started
//   are skipped.
// * Ctrl-C. During a launch our SIGINT handler notes the interrupt and calls
//   the previous handler (Python's), so Python still raises
//   KeyboardInterrupt when the launch returns.
//
// Nothing here runs on the fast path of a kernel: a launch pays a few
// sigaction calls and two lock/unlock pairs.
#pragma once

namespace __emu {

EMU_RT static double now_seconds() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// ---------------------------------------------------------------------------
// Where this library lies in memory: its code (to tell a kernel's endless
// loop from a call into libc), its data and this thread's TLS block (which
// the checked mode allows kernels to touch).
// ---------------------------------------------------------------------------
struct ModuleInfo {
    uintptr_t base = 0;                    // load address (pcs are reported relative to it)
    uintptr_t text_lo = 0, text_hi = 0;    // executable segment
    uintptr_t data_lo = 0, data_hi = 0;    // everything else it maps
    size_t tls_size = 0;                   // its PT_TLS segment
    bool ok = false;
};

#if defined(__linux__)
EMU_RT static int module_phdr_cb(struct dl_phdr_info* info, size_t, void* data) {
    ModuleInfo* m = (ModuleInfo*)data;
    if ((uintptr_t)info->dlpi_addr != m->base) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr)& p = info->dlpi_phdr[i];
        if (p.p_type == PT_TLS) m->tls_size = p.p_memsz;
        if (p.p_type != PT_LOAD) continue;
        uintptr_t lo = m->base + p.p_vaddr, hi = lo + p.p_memsz;
        if (p.p_flags & PF_X) {
            if (!m->text_lo || lo < m->text_lo) m->text_lo = lo;
            if (hi > m->text_hi) m->text_hi = hi;
        } else {
            if (!m->data_lo || lo < m->data_lo) m->data_lo = lo;
            if (hi > m->data_hi) m->data_hi = hi;
        }
    }
    m->ok = m->text_hi > m->text_lo;
    return 1;
}

// This thread's instance of our TLS block (threadIdx & co. live there).
struct TlsQuery { uintptr_t base; void* data; };
EMU_RT static int tls_phdr_cb(struct dl_phdr_info* info, size_t, void* data) {
    TlsQuery* q = (TlsQuery*)data;
    if ((uintptr_t)info->dlpi_addr != q->base) return 0;
    q->data = info->dlpi_tls_data;
    return 1;
}
#endif

EMU_RT static ModuleInfo& module_info() {
    static ModuleInfo m = [] {
        ModuleInfo m;
        Dl_info di;
        if (dladdr((void*)&module_info, &di) && di.dli_fbase) {
            m.base = (uintptr_t)di.dli_fbase;
#if defined(__linux__)
            dl_iterate_phdr(module_phdr_cb, &m);
#endif
        }
        return m;
    }();
    return m;
}

EMU_RT static void* this_thread_tls_block() {
#if defined(__linux__)
    TlsQuery q{module_info().base, nullptr};
    dl_iterate_phdr(tls_phdr_cb, &q);
    return q.data;
#else
    return nullptr;
#endif
}

EMU_RT static bool in_module_text(uintptr_t pc) {
    const ModuleInfo& m = module_info();
    return m.ok && pc >= m.text_lo && pc < m.text_hi;
}

EMU_RT static unsigned long long pc_offset(uintptr_t pc) { return (unsigned long long)(pc - module_info().base); }

// The program counter of the interrupted code.
EMU_RT static uintptr_t context_pc(void* ucv) {
    ucontext_t* uc = (ucontext_t*)ucv;
#if defined(__x86_64__) && defined(__linux__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__) && defined(__linux__)
    return (uintptr_t)uc->uc_mcontext.pc;
#elif defined(__APPLE__) && defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext->__ss.__rip;
#elif defined(__APPLE__) && defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext->__ss.__pc;
#else
    (void)uc;
    return 0;
#endif
}

// ---------------------------------------------------------------------------
// Signal handlers.
// ---------------------------------------------------------------------------
static const int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
constexpr int kNumFaultSignals = sizeof(kFaultSignals) / sizeof(kFaultSignals[0]);

struct SigState {
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int users = 0;                           // launches running now
    struct sigaction old_fault[kNumFaultSignals];
    struct sigaction old_int, old_urg;
    bool int_installed = false;
    volatile sig_atomic_t sigint = 0;        // Ctrl-C arrived during a launch
};
static SigState* g_sig = nullptr;
EMU_RT static SigState& sigstate() {
    if (!g_sig) g_sig = new SigState();      // never freed: handlers may run during exit
    return *g_sig;
}

EMU_RT static void pass_on(int sig, siginfo_t* si, void* uc, struct sigaction* old) {
    if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
        old->sa_sigaction(sig, si, uc);
        return;
    }
    if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    // The default action: put it back; a fault happens again on return.
    sigaction(sig, old, nullptr);
    if (sig == SIGINT) raise(sig);
}

EMU_RT static void unblock(int sig) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

// Which fiber's guard gap `addr` falls into, or -1.
EMU_RT static int guard_of(Runner* r, uintptr_t addr) {
    uintptr_t lo = (uintptr_t)r->stacks;
    if (!lo || addr < lo || addr >= lo + kSlotBytes) return -1;
    size_t off = addr - lo;
    return off % kStackStride < kGuardBytes ? (int)(off / kStackStride) : -1;
}

// " at @@pc:OFFSET@@" (the Python side writes the source line), or where it was.
EMU_RT static void describe_pc(char* out, size_t n, uintptr_t pc) {
    if (in_module_text(pc)) {
        snprintf(out, n, " at @@pc:%llx@@", pc_offset(pc));
        return;
    }
    Dl_info di;
    const char* lib = dladdr((void*)pc, &di) && di.dli_fname ? di.dli_fname : "another library";
    const char* slash = strrchr(lib, '/');
    snprintf(out, n, " inside %s (called from the kernel)", slash ? slash + 1 : lib);
}

EMU_RT static void on_fault(int sig, siginfo_t* si, void* uc) {
    Runner* r = t_runner;
    int idx = 0;
    while (idx < kNumFaultSignals - 1 && kFaultSignals[idx] != sig) idx++;
    if (r && r->current >= 0 && r->launch && g_sig) {
        const Fiber& f = r->fibers[r->current];
        uintptr_t pc = context_pc(uc), addr = (uintptr_t)si->si_addr;
        char what[384], at[256];
        describe_pc(at, sizeof at, pc);
        if (sig == SIGSEGV || sig == SIGBUS) {
            int g = guard_of(r, addr);
            if (g >= 0)
                snprintf(what, sizeof what, "stack overflow: %s its %zu KiB stack (a deep recursion, or local "
                         "arrays too large for a CUDA thread?)", g == r->current ? "the thread overflowed"
                         : "a neighbouring thread's stack was overrun by", kStackBytes / 1024);
            else if (addr < 65536)
                snprintf(what, sizeof what, "segmentation fault: a NULL pointer was dereferenced (address 0x%lx)",
                         (unsigned long)addr);
            else
                snprintf(what, sizeof what, "%s: invalid address 0x%lx (a wild pointer, or an index far out of "
                         "bounds; run with check=\"memcheck\" to find it)",
                         sig == SIGBUS ? "bus error" : "segmentation fault", (unsigned long)addr);
        } else if (sig == SIGFPE) {
            snprintf(what, sizeof what, "%s", si->si_code == FPE_INTDIV ? "integer division by zero"
                     : si->si_code == FPE_INTOVF ? "integer overflow in a division (INT_MIN / -1)"
                                                 : "arithmetic exception (SIGFPE)");
        } else {
            snprintf(what, sizeof what, "%s: the compiler puts a trap where it proved undefined behaviour "
                     "(a division by zero, an out-of-bounds constant index, a missing return ...)",
                     sig == SIGILL ? "illegal instruction" : "trap");
        }
        snprintf(r->sigmsg, sizeof r->sigmsg, "thread (%u,%u,%u): %s%s", f.tid.x, f.tid.y, f.tid.z, what, at);
        r->fault = 1;
        r->failed = true;
        r->error_check = nullptr;
        unblock(sig);
        abandon_fiber(r);
    }
    if (g_sig) pass_on(sig, si, uc, &g_sig->old_fault[idx]);
}

// SIGURG from the watchdog: leave a stopped launch's running fiber.
EMU_RT static void on_preempt(int, siginfo_t*, void* uc) {
    Runner* r = t_runner;
    if (!r || r->current < 0 || !r->launch || r->no_preempt) return;
    int why = r->launch->stop.load();
    if (why == STOP_NONE) return;
    uintptr_t pc = context_pc(uc);
    if (!in_module_text(pc)) return;  // in libc, libm ...: the next SIGURG will do
    const Fiber& f = r->fibers[r->current];
    char at[256];
    if (r->hook_pc)  // a checked build may be stopped inside its hooks: name the kernel's last access too
        snprintf(at, sizeof at, " at @@pc:%llx;pc:%llx@@", pc_offset(pc), pc_offset(r->hook_pc));
    else
        describe_pc(at, sizeof at, pc);
    snprintf(r->sigmsg, sizeof r->sigmsg, "thread (%u,%u,%u) was %s%s", f.tid.x, f.tid.y, f.tid.z,
             why == STOP_TIMEOUT ? "still running" : "interrupted", at);
    r->fault = 2;
    r->failed = true;
    unblock(SIGURG);
    abandon_fiber(r);
}

EMU_RT static void on_sigint(int sig, siginfo_t* si, void* uc) {
    if (!g_sig) return;
    const struct sigaction& old = g_sig->old_int;
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) return;  // Ctrl-C is ignored here
    g_sig->sigint = 1;
    pass_on(sig, si, uc, &g_sig->old_int);  // Python notes it and raises KeyboardInterrupt later
}

EMU_RT static void install_handlers() {
    SigState& s = sigstate();
    pthread_mutex_lock(&s.lock);
    if (s.users++ > 0) {
        pthread_mutex_unlock(&s.lock);
        return;
    }
    s.sigint = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    for (int i = 0; i < kNumFaultSignals; i++) sigaction(kFaultSignals[i], &sa, &s.old_fault[i]);
    sa.sa_sigaction = on_preempt;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigaction(SIGURG, &sa, &s.old_urg);
    sa.sa_sigaction = on_sigint;
    s.int_installed = sigaction(SIGINT, &sa, &s.old_int) == 0;
    pthread_mutex_unlock(&s.lock);
}

EMU_RT static void uninstall_handlers() {
    SigState& s = sigstate();
    pthread_mutex_lock(&s.lock);
    if (--s.users > 0) {
        pthread_mutex_unlock(&s.lock);
        return;
    }
    for (int i = 0; i < kNumFaultSignals; i++) sigaction(kFaultSignals[i], &s.old_fault[i], nullptr);
    sigaction(SIGURG, &s.old_urg, nullptr);
    if (s.int_installed) sigaction(SIGINT, &s.old_int, nullptr);
    s.int_installed = false;
    pthread_mutex_unlock(&s.lock);
}

// ---------------------------------------------------------------------------
// The watchdog: one thread per library, asleep unless a launch runs.
// ---------------------------------------------------------------------------
constexpr int kMaxLaunches = 64;  // launches at once (from several Python threads)

struct Watch {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    Launch* active[kMaxLaunches] = {};
    int nactive = 0;
    bool running = false;
    bool idle = false;      // the watchdog waits for a signal (no launch for a while)
};
static Watch* g_watch = nullptr;
static pthread_once_t g_watch_once = PTHREAD_ONCE_INIT;

EMU_RT static void fork_child() {
    g_watch = new Watch();  // a forked child has no watchdog thread, maybe a lock held by it: start afresh
    g_sig = nullptr;
}

EMU_RT static void make_watch() {
    g_watch = new Watch();  // never freed: the thread may still wait on it at exit
    pthread_atfork(nullptr, nullptr, fork_child);
}

EMU_RT static Watch& watch() {
    pthread_once(&g_watch_once, make_watch);
    return *g_watch;
}

struct Lock {  // a scoped pthread mutex
    pthread_mutex_t* m;
    explicit Lock(pthread_mutex_t* m_) : m(m_) { pthread_mutex_lock(m); }
    ~Lock() { pthread_mutex_unlock(m); }
};

// Asleep (idle) when no launch ran for a second; else it looks every 25 ms,
// so a launch only signals it when it is idle.
EMU_RT static void* watchdog_main(void* arg) {
    Watch* w = (Watch*)arg;
    Lock lk(&w->m);
    double last_busy = now_seconds();
    for (;;) {
        if (w->nactive == 0 && now_seconds() - last_busy > 1.0) {
            w->idle = true;
            pthread_cond_wait(&w->cv, &w->m);
            w->idle = false;
            last_busy = now_seconds();
            continue;
        }
        timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 25 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&w->cv, &w->m, &until);
        double t = now_seconds();
        if (w->nactive) last_busy = t;
        bool interrupted = g_sig && g_sig->sigint;
        for (int k = 0; k < w->nactive; k++) {
            Launch* L = w->active[k];
            if (L->stop.load() == STOP_NONE) {
                if (interrupted) L->stop = STOP_INTERRUPT;
                else if (L->deadline > 0 && t > L->deadline) L->stop = STOP_TIMEOUT;
            }
            if (L->stop.load() != STOP_NONE)
                for (int i = 0; i < L->nworkers; i++)
                    if (L->worker_live[i]) pthread_kill(L->workers[i], SIGURG);
        }
    }
    return nullptr;
}

EMU_RT static void worker_enter(Launch* L, int i) {
    Watch& w = watch();
    Lock g(&w.m);
    L->workers[i] = pthread_self();
    L->worker_live[i] = true;
}

EMU_RT static void worker_leave(Launch* L, int i) {
    Watch& w = watch();
    Lock g(&w.m);
    L->worker_live[i] = false;
}

// Returns false when too many launches run at once to watch another.
EMU_RT static bool guard_begin(Launch* L) {
    module_info();  // computed here, never inside a signal handler
    Watch& w = watch();
    {
        Lock g(&w.m);
        if (w.nactive == kMaxLaunches) return false;
        if (!w.running) {
            pthread_t t;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            w.running = pthread_create(&t, &attr, watchdog_main, &w) == 0;
            pthread_attr_destroy(&attr);
        }
        w.active[w.nactive++] = L;
        if (w.idle) pthread_cond_signal(&w.cv);
    }
    install_handlers();
    return true;
}

EMU_RT static void guard_end(Launch* L) {
    uninstall_handlers();
    Watch& w = watch();
    Lock g(&w.m);
    for (int i = 0; i < w.nactive; i++)
        if (w.active[i] == L) {
            w.active[i] = w.active[--w.nactive];
            break;
        }
}

}  // namespace __emu

// ---------------------------------------------------------------------------
// The fiber stacks: one pool per Python thread, shared by every library
// (pystory/emu/__init__.py asks any library for one and passes it to every
// launch). Each CUDA thread's 128 KiB stack has an inaccessible 64 KiB gap
// below it, so an overflow faults instead of overwriting a neighbour.
// ---------------------------------------------------------------------------
EMU_EXPORT EMU_RT void* __emu_stack_pool(int slots) {
    using namespace __emu;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
    size_t bytes = kSlotBytes * (size_t)slots;
    void* p = mmap(nullptr, bytes, PROT_NONE, flags, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    for (size_t i = 0; i < (size_t)slots * kMaxThreads; i++)
        if (mprotect((char*)p + i * kStackStride + kGuardBytes, kStackBytes, PROT_READ | PROT_WRITE) != 0) {
            munmap(p, bytes);
            return nullptr;
        }
    return p;
}

EMU_EXPORT EMU_RT void __emu_stack_pool_free(void* p, int slots) {
    if (p) munmap(p, __emu::kSlotBytes * (size_t)slots);
}

// How many OS threads a launch may use by default.
EMU_EXPORT EMU_RT int __emu_default_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
