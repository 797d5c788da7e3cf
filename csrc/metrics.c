// Chapter 05: BLEU and Self-BLEU of a whole corpus in C — the algorithm of pystory/metrics.py.
//
// The definition compares each hypothesis with every reference: O(H * R) passes.
// But the count a hypothesis is clipped to, max over references of count_r(g),
// depends only on the n-gram g, so one pass over the references computes it for
// every g; for Self-BLEU (the references of h are all samples but h) we keep the
// two largest counts and which document holds the largest. Then each
// hypothesis is one pass over its own words: O(total words * n) in all.
//
// n-gram ids: the k-gram starting at p gets a dense id from a hash table keyed
// by the pair (id of the (k-1)-gram at p, word p+k-1): exact (the table
// compares whole keys), whatever the vocabulary and n.
//
// Counting the n-grams of one document uses a scratch array cnt[G], zero
// everywhere: one pass adds, a second pass reads each count at its first
// occurrence and sets it back to zero. The hypotheses are independent, so
// they are split across threads, each with its own cnt.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

#define EPSILON 0.1   // nltk SmoothingFunction().method1: a zero count becomes 0.1

// --- a hash table from 64-bit keys (>= 0) to dense ids 0, 1, 2, ... -------------------

typedef struct {
    int64_t* keys;    // -1: empty slot
    int* ids;
    long mask;        // capacity - 1 (capacity: a power of two, at least twice the keys)
    int count;        // ids handed out
} table_t;

static void table_init(table_t* t, long n_keys) {
    long cap = 16;
    while (cap < 2 * n_keys + 2) cap *= 2;
    t->keys = malloc(sizeof(int64_t) * cap);
    t->ids = malloc(sizeof(int) * cap);
    if (!t->keys || !t->ids) abort();      // out of memory: a void op has nothing sensible to return
    memset(t->keys, 0xff, sizeof(int64_t) * cap);
    t->mask = cap - 1;
    t->count = 0;
}

static void table_free(table_t* t) {
    free(t->keys);
    free(t->ids);
}

// splitmix64's finalizer: every bit of the key moves the slot.
static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// The id of `key`, handing out the next id the first time it is seen (linear probing).
static inline int table_id(table_t* t, int64_t key) {
    long s = (long)(mix((uint64_t)key) & (uint64_t)t->mask);
    while (t->keys[s] != -1) {
        if (t->keys[s] == key) return t->ids[s];
        s = (s + 1) & t->mask;
    }
    t->keys[s] = key;
    t->ids[s] = t->count;
    return t->count++;
}

// k-gram ids, in place: gid[p] (the (k-1)-gram id at p, or -1) becomes the k-gram id at p,
// or -1 where the k-gram would run past the end of p's document. Returns G, the number of ids.
// For k = 1, the ids of the words themselves.
static int next_gram_ids(int* restrict gid, const int* restrict words, const int* restrict doc_end,
                         int k, int M) {
    table_t t;
    table_init(&t, M);
    for (int p = 0; p < M; p++) {
        if (k == 1) {
            gid[p] = table_id(&t, words[p]);
        } else if (gid[p] >= 0 && p + k - 1 < doc_end[p]) {
            gid[p] = table_id(&t, ((int64_t)gid[p] << 32) | (int64_t)words[p + k - 1]);
        } else {
            gid[p] = -1;
        }
    }
    int G = t.count;
    table_free(&t);
    return G;
}

// The end of each position's document: doc_end[p] = offsets[d + 1] for p in document d.
static void document_ends(int* restrict doc_end, const int* restrict offsets, int D) {
    for (int d = 0; d < D; d++)
        for (int p = offsets[d]; p < offsets[d + 1]; p++) doc_end[p] = offsets[d + 1];
}

static int cmp_int(const void* a, const void* b) {
    int x = *(const int*)a, y = *(const int*)b;
    return (x > y) - (x < y);
}

// The reference length closest to h in the sorted lengths L[0..R), ties to the shorter;
// with self_refs one entry equal to h (the hypothesis itself) does not count.
static int closest_length(const int* L, int R, int h, int self_refs) {
    int lo = 0, hi = R;                        // lo: the first L >= h
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (L[mid] < h) lo = mid + 1; else hi = mid;
    }
    int first_above = lo;                      // the first L > h
    hi = R;
    while (first_above < hi) {
        int mid = (first_above + hi) / 2;
        if (L[mid] <= h) first_above = mid + 1; else hi = mid;
    }
    int equal = first_above - lo - (self_refs ? 1 : 0);
    if (equal > 0) return h;
    int has_below = lo > 0, has_above = first_above < R;
    if (!has_below || (has_above && L[first_above] - h < h - L[lo - 1])) return L[first_above];
    return L[lo - 1];
}

// BLEU from the clipped counts and totals of orders 1..n (as pystory.metrics.combine).
static double combine(const int64_t* clipped, const int64_t* totals, int n, int hyp_len, int ref_len) {
    if (clipped[0] == 0) return 0.0;          // no unigram in common
    double s = 0.0;
    for (int k = 0; k < n; k++) {
        double den = totals[k] > 1 ? (double)totals[k] : 1.0;
        double p = clipped[k] ? (double)clipped[k] / den : EPSILON / den;
        s += log(p) / n;
    }
    double bp = hyp_len > ref_len ? 1.0 : exp(1.0 - (double)ref_len / hyp_len);
    return bp * exp(s);
}

void bleu_corpus_scores(double* restrict scores, const int* restrict words, const int* restrict offsets,
                        int n_hyp, int n, int self_refs, int M, int D) {
    if (n_hyp <= 0) return;
    int r0 = self_refs ? 0 : n_hyp;           // references: documents r0 .. D-1
    int* gid = malloc(sizeof(int) * ((size_t)M + 1));
    int* doc_end = malloc(sizeof(int) * ((size_t)M + 1));
    int64_t* clipped = calloc((size_t)n * n_hyp, sizeof(int64_t));   // (n, n_hyp)
    int64_t* totals = calloc((size_t)n * n_hyp, sizeof(int64_t));
    if (!gid || !doc_end || !clipped || !totals) abort();
    document_ends(doc_end, offsets, D);
    for (int k = 1; k <= n; k++) {
        int G = next_gram_ids(gid, words, doc_end, k, M);
        // per k-gram: the largest count over the references, which one holds it, the second largest
        int* top1 = calloc((size_t)G + 1, sizeof(int));
        int* top2 = calloc((size_t)G + 1, sizeof(int));
        int* arg1 = malloc(sizeof(int) * ((size_t)G + 1));
        int* cnt = calloc((size_t)G + 1, sizeof(int));
        if (!top1 || !top2 || !arg1 || !cnt) abort();
        for (int g = 0; g < G; g++) arg1[g] = -1;
        for (int r = r0; r < D; r++) {
            for (int p = offsets[r]; p < offsets[r + 1]; p++)
                if (gid[p] >= 0) cnt[gid[p]]++;
            for (int p = offsets[r]; p < offsets[r + 1]; p++) {
                int g = gid[p];
                if (g < 0 || cnt[g] == 0) continue;   // not a k-gram, or already read
                int c = cnt[g];
                cnt[g] = 0;
                if (c > top1[g]) {
                    top2[g] = top1[g];
                    top1[g] = c;
                    arg1[g] = r;
                } else if (c > top2[g]) {
                    top2[g] = c;
                }
            }
        }
        free(cnt);
        #pragma omp parallel if ((long)M * n > (1 << 16))
        {
            int* mine = calloc((size_t)G + 1, sizeof(int));     // this thread's counts, zero between uses
            if (!mine) abort();
            #pragma omp for schedule(static)
            for (int h = 0; h < n_hyp; h++) {
                int64_t clip = 0;
                for (int p = offsets[h]; p < offsets[h + 1]; p++)
                    if (gid[p] >= 0) mine[gid[p]]++;
                for (int p = offsets[h]; p < offsets[h + 1]; p++) {
                    int g = gid[p];
                    if (g < 0 || mine[g] == 0) continue;
                    int best = (self_refs && arg1[g] == h) ? top2[g] : top1[g];   // max over the others
                    clip += mine[g] < best ? mine[g] : best;
                    mine[g] = 0;
                }
                int len = offsets[h + 1] - offsets[h];
                clipped[(long)(k - 1) * n_hyp + h] = clip;
                totals[(long)(k - 1) * n_hyp + h] = len - k + 1 > 0 ? len - k + 1 : 0;
            }
            free(mine);
        }
        free(arg1);
        free(top2);
        free(top1);
    }
    // brevity: the reference lengths, sorted once
    int R = D - r0;
    int* L = malloc(sizeof(int) * ((size_t)R + 1));
    if (!L) abort();
    for (int r = 0; r < R; r++) L[r] = offsets[r0 + r + 1] - offsets[r0 + r];
    qsort(L, R, sizeof(int), cmp_int);
    int64_t c[16], t[16];                     // n <= 16 (the declaration says so)
    for (int h = 0; h < n_hyp; h++) {
        int len = offsets[h + 1] - offsets[h];
        for (int k = 0; k < n; k++) {
            c[k] = clipped[(long)k * n_hyp + h];
            t[k] = totals[(long)k * n_hyp + h];
        }
        scores[h] = len == 0 ? 0.0 : combine(c, t, n, len, closest_length(L, R, len, self_refs));
    }
    free(L);
    free(totals);
    free(clipped);
    free(doc_end);
    free(gid);
}

void ngram_counts(int64_t* restrict out, const int* restrict words, const int* restrict offsets,
                  int n, int M, int D) {
    int* gid = malloc(sizeof(int) * ((size_t)M + 1));
    int* doc_end = malloc(sizeof(int) * ((size_t)M + 1));
    if (!gid || !doc_end) abort();
    document_ends(doc_end, offsets, D);
    int G = 0;
    for (int k = 1; k <= n; k++) G = next_gram_ids(gid, words, doc_end, k, M);
    int64_t total = 0;
    for (int p = 0; p < M; p++) total += gid[p] >= 0;
    out[0] = G;
    out[1] = total;
    free(doc_end);
    free(gid);
}
