// Chapter 01: byte-level BPE in C — the fast algorithms.
//
// Same ops, same arguments as the NumPy reference in pystory/tokenizer.py.
// Words are stored CSR-style: one flat array of tokens plus offsets, word w
// being tokens[offsets[w] .. offsets[w+1]).
//
// What makes this file fast, compared with the reference:
//   bpe_train   counts pairs ONCE, then after each merge updates the counts
//               of only the words that contained the merged pair (an inverted
//               index pair -> words finds them), and keeps the pairs in a
//               max-heap so the next best pair is found in O(log P).
//   bpe_encode  merges each word with a min-heap of (rank, position) over a
//               linked list — O(L log L) even for a 1 MB word — and caches
//               the result of every short word (text repeats its words).
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define N_BYTES 256

// --- byte classes: the pre-tokenizer's alphabet ------------------------------
enum { LETTER, DIGIT, SPACE, PUNCT };

static int byte_class(uint8_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 128) return LETTER;
    if (c >= '0' && c <= '9') return DIGIT;
    if (c == ' ' || (c >= 9 && c <= 13)) return SPACE;
    return PUNCT;
}

// pretokenize: offsets (capacity n+1) <- the word starts, then n. Returns W.
// A word starts at byte i when (the same local rules as the reference):
//   1. i == 0;
//   2. the class changes at i, unless data[i-1] == ' ' and i is a letter;
//   3. i is the last byte of a whitespace run of 2+ and a non-space follows.
int pretokenize(int* restrict offsets, const uint8_t* restrict data, int n) {
    int w = 0;
    int prev = -1, cur = n > 0 ? byte_class(data[0]) : -1;
    for (int i = 0; i < n; i++) {
        int next = i + 1 < n ? byte_class(data[i + 1]) : -1;
        int start = i == 0
            || (cur != prev && !(data[i - 1] == ' ' && cur == LETTER))
            || (prev == SPACE && cur == SPACE && next != -1 && next != SPACE);
        if (start) offsets[w++] = i;
        prev = cur;
        cur = next;
    }
    offsets[w] = n;
    return w;
}

// --- a hash map uint64 -> int (open addressing, linear probing) ---------------
typedef struct {
    uint64_t* keys;
    int* vals;        // -1: empty slot
    size_t cap;       // a power of two
    size_t size;
} Map;

static uint64_t mix64(uint64_t x) {  // splitmix64's finalizer: spreads every key bit
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int map_init(Map* m, size_t cap) {
    m->cap = cap; m->size = 0;
    m->keys = malloc(cap * sizeof(uint64_t));
    m->vals = malloc(cap * sizeof(int));
    if (!m->keys || !m->vals) return -1;
    memset(m->vals, 0xff, cap * sizeof(int));
    return 0;
}

static void map_free(Map* m) { free(m->keys); free(m->vals); }

// The slot holding `key`, or the empty slot where it would go.
static size_t map_slot(const Map* m, uint64_t key) {
    size_t i = mix64(key) & (m->cap - 1);
    while (m->vals[i] != -1 && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    return i;
}

static int map_get(const Map* m, uint64_t key) { return m->vals[map_slot(m, key)]; }

static int map_put(Map* m, uint64_t key, int val) {  // key must be new
    if (2 * (m->size + 1) > m->cap) {  // keep the table at most half full
        Map bigger;
        if (map_init(&bigger, 2 * m->cap)) { map_free(&bigger); return -1; }
        for (size_t i = 0; i < m->cap; i++)
            if (m->vals[i] != -1) {
                size_t j = map_slot(&bigger, m->keys[i]);
                bigger.keys[j] = m->keys[i]; bigger.vals[j] = m->vals[i];
            }
        bigger.size = m->size;
        map_free(m);
        *m = bigger;
    }
    size_t i = map_slot(m, key);
    m->keys[i] = key; m->vals[i] = val; m->size++;
    return 0;
}

static uint64_t pair_key(int a, int b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

static uint64_t hash_bytes(const uint8_t* s, int n) {  // FNV-1a, 64-bit
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) { h ^= s[i]; h *= 1099511628211ULL; }
    return h;
}

// unique_words: first[u] = index of the first occurrence of distinct word u
// (in order of appearance), counts[u] its count. Returns U, or -1 (no memory).
int unique_words(int* restrict first, int* restrict counts, const uint8_t* restrict data,
                 const int* restrict offsets, int n_words) {
    // The map goes from a word's hash to u; equal hashes are compared byte by
    // byte, and a collision of two different words probes on (hash + 1).
    Map m;
    if (map_init(&m, 1 << 16)) { map_free(&m); return -1; }
    int U = 0;
    for (int w = 0; w < n_words; w++) {
        const uint8_t* s = data + offsets[w];
        int len = offsets[w + 1] - offsets[w];
        uint64_t h = hash_bytes(s, len);
        for (;;) {
            int u = map_get(&m, h);
            if (u == -1) {
                if (map_put(&m, h, U)) { map_free(&m); return -1; }
                first[U] = w; counts[U] = 1; U++;
                break;
            }
            int f = first[u];
            if (offsets[f + 1] - offsets[f] == len && memcmp(data + offsets[f], s, len) == 0) {
                counts[u]++;
                break;
            }
            h++;  // a different word with the same hash: try the next key
        }
    }
    map_free(&m);
    return U;
}

// bpe_count_pairs: hist (V*V) <- count-weighted adjacent pairs of every word.
void bpe_count_pairs(int* restrict hist, const int* restrict ids, const int* restrict offsets,
                     const int* restrict counts, int n_words, int vocab_size) {
    memset(hist, 0, (size_t)vocab_size * vocab_size * sizeof(int));
    for (int w = 0; w < n_words; w++)
        for (int i = offsets[w]; i + 1 < offsets[w + 1]; i++)
            hist[(size_t)ids[i] * vocab_size + ids[i + 1]] += counts[w];
}

// Merge (a, b) -> new_id inside one word, left to right, in place.
// Returns the new length. "a a a" with (a, a) -> "aa a".
static int merge_word(int* tok, int len, int a, int b, int new_id) {
    int j = 0;
    for (int i = 0; i < len; i++) {
        if (i + 1 < len && tok[i] == a && tok[i + 1] == b) {
            tok[j++] = new_id;
            i++;  // the right half is consumed
        } else {
            tok[j++] = tok[i];
        }
    }
    return j;
}

// bpe_merge: out_ids (capacity N), out_offsets (W+1) <- every word with (a, b)
// merged. Returns the new number of tokens.
int bpe_merge(int* restrict out_ids, int* restrict out_offsets, const int* restrict ids,
              const int* restrict offsets, int n_words, int a, int b, int new_id) {
    int n = 0;
    out_offsets[0] = 0;
    for (int w = 0; w < n_words; w++) {
        int len = offsets[w + 1] - offsets[w];
        memcpy(out_ids + n, ids + offsets[w], len * sizeof(int));
        n += merge_word(out_ids + n, len, a, b, new_id);
        out_offsets[w + 1] = n;
    }
    return n;
}

// --- training ----------------------------------------------------------------
//
// State: the distinct words as token arrays (they shrink as merges apply),
// and one record per pair ever seen: its count and the words it occurs in
// (an append-only list: entries may go stale, so each is re-checked).
typedef struct {
    int a, b;
    int64_t count;
    int* words; int n_words, cap_words;
    int stamp;        // last merge step that touched this pair (to push it once)
} Pair;

typedef struct { int64_t count; int a, b, pair; } HeapItem;

typedef struct {
    Pair* pairs; int n_pairs, cap_pairs;
    Map index;        // pair_key(a, b) -> index into pairs
    HeapItem* heap; size_t n_heap, cap_heap;
} Trainer;

// The heap's order: the higher count first, ties to the smaller pair (a, b).
static int better(const HeapItem* x, const HeapItem* y) {
    if (x->count != y->count) return x->count > y->count;
    if (x->a != y->a) return x->a < y->a;
    return x->b < y->b;
}

static int heap_push(Trainer* t, int p) {
    if (t->n_heap == t->cap_heap) {
        size_t cap = t->cap_heap ? 2 * t->cap_heap : 1024;
        HeapItem* h = realloc(t->heap, cap * sizeof(HeapItem));
        if (!h) return -1;
        t->heap = h; t->cap_heap = cap;
    }
    HeapItem item = {t->pairs[p].count, t->pairs[p].a, t->pairs[p].b, p};
    size_t i = t->n_heap++;
    while (i > 0 && better(&item, &t->heap[(i - 1) / 2])) {  // sift up
        t->heap[i] = t->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->heap[i] = item;
    return 0;
}

static HeapItem heap_pop(Trainer* t) {
    HeapItem top = t->heap[0], last = t->heap[--t->n_heap];
    size_t i = 0, n = t->n_heap;
    for (;;) {  // sift `last` down from the root
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && better(&t->heap[c + 1], &t->heap[c])) c++;
        if (!better(&t->heap[c], &last)) break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (n) t->heap[i] = last;
    return top;
}

// The index of pair (a, b), created with count 0 if new; -1: out of memory.
static int pair_get(Trainer* t, int a, int b) {
    int p = map_get(&t->index, pair_key(a, b));
    if (p != -1) return p;
    if (t->n_pairs == t->cap_pairs) {
        int cap = t->cap_pairs ? 2 * t->cap_pairs : 4096;
        Pair* np = realloc(t->pairs, (size_t)cap * sizeof(Pair));
        if (!np) return -1;
        t->pairs = np; t->cap_pairs = cap;
    }
    p = t->n_pairs++;
    t->pairs[p] = (Pair){a, b, 0, NULL, 0, 0, -1};
    if (map_put(&t->index, pair_key(a, b), p)) return -1;
    return p;
}

static int pair_add_word(Pair* p, int w) {
    if (p->n_words && p->words[p->n_words - 1] == w) return 0;  // already listed last
    if (p->n_words == p->cap_words) {
        int cap = p->cap_words ? 2 * p->cap_words : 4;
        int* nw = realloc(p->words, (size_t)cap * sizeof(int));
        if (!nw) return -1;
        p->words = nw; p->cap_words = cap;
    }
    p->words[p->n_words++] = w;
    return 0;
}

static void trainer_free(Trainer* t) {
    for (int p = 0; p < t->n_pairs; p++) free(t->pairs[p].words);
    free(t->pairs); free(t->heap); map_free(&t->index);
}

// bpe_train: merges (n_merges, 2) <- the merges learned from W distinct words
// (data/offsets) with their counts. Returns how many were learned (fewer
// when every word became one token), or -1 when memory runs out.
int bpe_train(int* restrict merges, const uint8_t* restrict data, const int* restrict offsets,
              const int* restrict counts, int n_words, int n_merges) {
    int n = offsets[n_words];
    int* tok = malloc(((size_t)n + 1) * sizeof(int));
    int* len = malloc(((size_t)n_words + 1) * sizeof(int));
    int* seen = malloc(((size_t)n_words + 1) * sizeof(int));  // last merge step that visited word w
    int* touched = NULL; int n_touched = 0, cap_touched = 0;
    Trainer t = {0};
    int result = -1, m = 0;
    if (!tok || !len || !seen || map_init(&t.index, 1 << 12)) goto done;
    for (int i = 0; i < n; i++) tok[i] = data[i];
    for (int w = 0; w < n_words; w++) { len[w] = offsets[w + 1] - offsets[w]; seen[w] = -1; }

    // 1. Count every pair once, and note which words it occurs in.
    for (int w = 0; w < n_words; w++) {
        const int* s = tok + offsets[w];
        for (int i = 0; i + 1 < len[w]; i++) {
            int p = pair_get(&t, s[i], s[i + 1]);
            if (p < 0 || pair_add_word(&t.pairs[p], w)) goto done;
            t.pairs[p].count += counts[w];
        }
    }
    for (int p = 0; p < t.n_pairs; p++)
        if (heap_push(&t, p)) goto done;

    // 2. Merge, best pair first.
    while (m < n_merges && t.n_heap > 0) {
        HeapItem top = heap_pop(&t);
        Pair* best = &t.pairs[top.pair];
        if (best->count <= 0) continue;                 // merged away already
        if (best->count != top.count) {                 // stale: the count fell since this push
            if (heap_push(&t, top.pair)) goto done;
            continue;
        }
        // Every other pair's true count is <= one of its heap entries, all of
        // which rank below `top`: so `top` is the best pair.
        int a = best->a, b = best->b, new_id = N_BYTES + m;
        merges[2 * m] = a; merges[2 * m + 1] = b;
        // Take the word list out: `best` may move when new pairs are created.
        int* words = best->words; int nw = best->n_words;
        best->words = NULL; best->n_words = best->cap_words = 0;
        n_touched = 0;
        for (int k = 0; k < nw; k++) {
            int w = words[k];
            if (seen[w] == m) continue;                 // listed twice
            seen[w] = m;
            int* s = tok + offsets[w];
            int L = len[w], has = 0;
            for (int i = 0; i + 1 < L && !has; i++) has = s[i] == a && s[i + 1] == b;
            if (!has) continue;                         // stale entry: an earlier merge took the pair
            // Take the word's pairs out of the counts, merge, put the new pairs in.
            for (int i = 0; i + 1 < L; i++)
                t.pairs[map_get(&t.index, pair_key(s[i], s[i + 1]))].count -= counts[w];
            L = len[w] = merge_word(s, L, a, b, new_id);
            for (int i = 0; i + 1 < L; i++) {
                int p = pair_get(&t, s[i], s[i + 1]);
                if (p < 0) { free(words); goto done; }
                Pair* q = &t.pairs[p];
                q->count += counts[w];
                if (s[i] == new_id || s[i + 1] == new_id) {  // only pairs with the new token grew
                    if (pair_add_word(q, w)) { free(words); goto done; }
                    if (q->stamp != m) {
                        q->stamp = m;
                        if (n_touched == cap_touched) {
                            cap_touched = cap_touched ? 2 * cap_touched : 1024;
                            int* nt = realloc(touched, (size_t)cap_touched * sizeof(int));
                            if (!nt) { free(words); goto done; }
                            touched = nt;
                        }
                        touched[n_touched++] = p;
                    }
                }
            }
        }
        free(words);
        for (int k = 0; k < n_touched; k++)
            if (t.pairs[touched[k]].count > 0 && heap_push(&t, touched[k])) goto done;
        m++;
    }
    result = m;
done:
    free(tok); free(len); free(seen); free(touched);
    trainer_free(&t);
    return result;
}

// --- encoding ----------------------------------------------------------------
//
// Per word: tokens in a doubly linked list over positions 0..L-1, and a
// min-heap of (rank, position) for every adjacent pair that is a merge.
// Pop the lowest rank (ties: leftmost position), skip it if the pair is no
// longer there, merge, and push the two new neighbouring pairs. Ranks of
// pairs with the new token are always higher than the current one, so this
// applies the merges in learned order, left to right — like the reference.

typedef struct { int rank, pos; } RankPos;

typedef struct {      // per-thread scratch, grown to the longest word seen
    int *next, *prev; RankPos* heap; int cap;
} Scratch;

static int scratch_reserve(Scratch* s, int L) {
    if (L <= s->cap) return 0;
    int cap = L > 2 * s->cap ? L : 2 * s->cap;
    int* nx = realloc(s->next, (size_t)cap * sizeof(int)); if (!nx) return -1; s->next = nx;
    int* pv = realloc(s->prev, (size_t)cap * sizeof(int)); if (!pv) return -1; s->prev = pv;
    // each merge pushes at most 2 entries: L initial + 2L pushes
    RankPos* hp = realloc(s->heap, 3 * (size_t)cap * sizeof(RankPos)); if (!hp) return -1; s->heap = hp;
    s->cap = cap;
    return 0;
}

static int rp_less(RankPos x, RankPos y) { return x.rank < y.rank || (x.rank == y.rank && x.pos < y.pos); }

static void rp_push(RankPos* h, int* n, RankPos v) {
    int i = (*n)++;
    while (i > 0 && rp_less(v, h[(i - 1) / 2])) { h[i] = h[(i - 1) / 2]; i = (i - 1) / 2; }
    h[i] = v;
}

static RankPos rp_pop(RankPos* h, int* n) {
    RankPos top = h[0], last = h[--(*n)];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && rp_less(h[c + 1], h[c])) c++;
        if (!rp_less(h[c], last)) break;
        h[i] = h[c]; i = c;
    }
    if (*n) h[i] = last;
    return top;
}

static int rank_of(const Map* ranks, int a, int b) { return map_get(ranks, pair_key(a, b)); }

// Encode one word: tok[0..L) holds its bytes as ids on entry, its tokens on exit.
// Returns the number of tokens, or -1 (no memory).
static int encode_word(int* tok, int L, const Map* ranks, Scratch* s) {
    if (L < 2) return L;
    if (scratch_reserve(s, L)) return -1;
    int *next = s->next, *prev = s->prev, nh = 0;
    for (int i = 0; i < L; i++) { next[i] = i + 1; prev[i] = i - 1; }
    for (int i = 0; i + 1 < L; i++) {
        int r = rank_of(ranks, tok[i], tok[i + 1]);
        if (r >= 0) rp_push(s->heap, &nh, (RankPos){r, i});
    }
    while (nh > 0) {
        RankPos top = rp_pop(s->heap, &nh);
        int i = top.pos, j = next[i];
        if (tok[i] < 0 || j >= L || rank_of(ranks, tok[i], tok[j]) != top.rank) continue;  // stale
        tok[i] = N_BYTES + top.rank;          // i absorbs j
        tok[j] = -1;
        next[i] = next[j];
        if (next[i] < L) prev[next[i]] = i;
        if (prev[i] >= 0) {
            int r = rank_of(ranks, tok[prev[i]], tok[i]);
            if (r >= 0) rp_push(s->heap, &nh, (RankPos){r, prev[i]});
        }
        if (next[i] < L) {
            int r = rank_of(ranks, tok[i], tok[next[i]]);
            if (r >= 0) rp_push(s->heap, &nh, (RankPos){r, i});
        }
    }
    int n = 0;
    for (int i = 0; i < L; i = next[i]) tok[n++] = tok[i];
    return n;
}

// The word cache: short words (<= CACHE_MAX_LEN bytes) -> their tokens.
// Per thread, fixed size, never evicts: stories reuse a few thousand words.
#define CACHE_SLOTS (1 << 15)
#define CACHE_MAX_LEN 32
typedef struct {
    uint64_t hash[CACHE_SLOTS];
    int word[CACHE_SLOTS];        // -1: empty; else the word index (its bytes are in data)
    int start[CACHE_SLOTS];       // where its tokens are in the output
    int ntok[CACHE_SLOTS];
    int size;
} Cache;

// bpe_encode: out_ids (capacity N), token_offsets (W+1) <- the encoded words.
// Returns the number of tokens, or -1 (no memory).
int bpe_encode(int* restrict out_ids, int* restrict token_offsets, const uint8_t* restrict data,
               const int* restrict offsets, int n_words, const int* restrict merges, int n_merges) {
    Map ranks;
    if (map_init(&ranks, 1 << 12)) { map_free(&ranks); return -1; }
    for (int m = 0; m < n_merges; m++)
        if (map_get(&ranks, pair_key(merges[2 * m], merges[2 * m + 1])) == -1 &&
            map_put(&ranks, pair_key(merges[2 * m], merges[2 * m + 1]), m)) { map_free(&ranks); return -1; }
    // Pass 1, in parallel: word w's tokens are written at out_ids[offsets[w]..],
    // its byte span (a word never has more tokens than bytes); ntok in token_offsets[w+1].
    int failed = 0;
    #pragma omp parallel if (n_words > 4096)
    {
        Scratch s = {0};
        Cache* c = malloc(sizeof(Cache));
        if (c) { memset(c->word, 0xff, sizeof(c->word)); c->size = 0; }
        #pragma omp for schedule(dynamic, 1024)
        for (int w = 0; w < n_words; w++) {
            const uint8_t* bytes = data + offsets[w];
            int L = offsets[w + 1] - offsets[w];
            int* tok = out_ids + offsets[w];
            size_t slot = 0;
            uint64_t h = 0;
            int cached = 0;
            if (c && L > 1 && L <= CACHE_MAX_LEN) {
                h = hash_bytes(bytes, L);
                slot = h & (CACHE_SLOTS - 1);
                while (c->word[slot] != -1) {
                    int v = c->word[slot];
                    if (c->hash[slot] == h && offsets[v + 1] - offsets[v] == L &&
                        memcmp(data + offsets[v], bytes, L) == 0) {
                        memcpy(tok, out_ids + c->start[slot], c->ntok[slot] * sizeof(int));
                        token_offsets[w + 1] = c->ntok[slot];
                        cached = 1;
                        break;
                    }
                    slot = (slot + 1) & (CACHE_SLOTS - 1);
                }
            }
            if (cached) continue;
            for (int i = 0; i < L; i++) tok[i] = bytes[i];
            int nt = encode_word(tok, L, &ranks, &s);
            if (nt < 0) { failed = 1; nt = 0; }
            token_offsets[w + 1] = nt;
            if (c && L > 1 && L <= CACHE_MAX_LEN && 2 * c->size < CACHE_SLOTS) {
                c->hash[slot] = h; c->word[slot] = w; c->start[slot] = offsets[w]; c->ntok[slot] = nt;
                c->size++;
            }
        }
        free(s.next); free(s.prev); free(s.heap); free(c);
    }
    map_free(&ranks);
    if (failed) return -1;
    // Pass 2: close the gaps (tokens only move left, so in place is safe).
    int n = 0;
    token_offsets[0] = 0;
    for (int w = 0; w < n_words; w++) {
        int nt = token_offsets[w + 1];
        memmove(out_ids + n, out_ids + offsets[w], nt * sizeof(int));
        n += nt;
        token_offsets[w + 1] = n;
    }
    return n;
}
