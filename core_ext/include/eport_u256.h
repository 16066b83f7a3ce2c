/* 256-bit integers as 4 little-endian 64-bit limbs, and Montgomery arithmetic
 * (R = 2^256) modulo any odd 256-bit modulus m given with n0 = -m^-1 mod 2^64.
 * Used for the group order n (the field prime p has its own unrolled code in
 * sm2_fp.h); also the byte conversions and constant-time helpers.
 *
 * Every function is branch-free and index-free in its data (constant time):
 * signing runs through the same code with secret operands. Inputs of the
 * modular functions must already be reduced (< m); outputs are reduced.
 */
#ifndef EPORT_U256_H
#define EPORT_U256_H

#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef uint64_t u256[4];

static inline void u256_from_be(u256 r, const uint8_t in[32]) {
    for (int i = 0; i < 4; i++) {
        uint64_t limb = 0;
        for (int j = 0; j < 8; j++) limb = (limb << 8) | in[8 * (3 - i) + j];
        r[i] = limb;
    }
}

static inline void u256_to_be(uint8_t out[32], const u256 a) {
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) out[8 * (3 - i) + j] = (uint8_t)(a[i] >> (56 - 8 * j));
}

static inline uint64_t u256_is_zero(const u256 a) { /* 1 if zero, else 0; constant time */
    uint64_t any = a[0] | a[1] | a[2] | a[3];
    return 1 ^ ((any | (0 - any)) >> 63);
}

static inline int u256_lt(const u256 a, const u256 b) { /* a < b */
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return (int)borrow;
}

static inline int u256_eq(const u256 a, const u256 b) {
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

/* r = mask ? a : r, with mask all-ones or zero */
static inline void u256_cmov(u256 r, const u256 a, uint64_t mask) {
    for (int i = 0; i < 4; i++) r[i] = (r[i] & ~mask) | (a[i] & mask);
}

/* r = (carry:t) mod m for a value known to be < 2m */
static inline void mod_reduce_once(u256 r, const u256 t, uint64_t carry, const u256 m) {
    u256 s;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)t[i] - m[i] - borrow;
        s[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    uint64_t keep_t = 0 - (borrow & ~carry & 1); /* t < m: the subtraction underflowed */
    for (int i = 0; i < 4; i++) r[i] = (t[i] & keep_t) | (s[i] & ~keep_t);
}

static inline void mod_add(u256 r, const u256 a, const u256 b, const u256 m) {
    u256 t;
    u128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (u128)a[i] + b[i];
        t[i] = (uint64_t)c;
        c >>= 64;
    }
    mod_reduce_once(r, t, (uint64_t)c, m);
}

static inline void mod_sub(u256 r, const u256 a, const u256 b, const u256 m) {
    u256 t;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    uint64_t mask = 0 - borrow; /* went negative: add m back */
    u128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (u128)t[i] + (m[i] & mask);
        r[i] = (uint64_t)c;
        c >>= 64;
    }
}

/* Montgomery reduction of the 512-bit t: r = t / R mod m, for t < m * R. */
static inline void mont_reduce(u256 r, uint64_t t[8], const u256 m, uint64_t n0) {
    uint64_t carry_hi = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t q = t[i] * n0;
        u128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (u128)q * m[j] + t[i + j];
            t[i + j] = (uint64_t)c;
            c >>= 64;
        }
        c += (u128)t[i + 4] + carry_hi;
        t[i + 4] = (uint64_t)c;
        carry_hi = (uint64_t)(c >> 64);
    }
    mod_reduce_once(r, t + 4, carry_hi, m);
}

static inline void mont_mul(u256 r, const u256 a, const u256 b, const u256 m, uint64_t n0) {
    uint64_t t[8] = {0};
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (u128)a[i] * b[j] + t[i + j];
            t[i + j] = (uint64_t)c;
            c >>= 64;
        }
        t[i + 4] = (uint64_t)c;
    }
    mont_reduce(r, t, m, n0);
}

/* Squaring: each cross product once, doubled, plus the diagonal. */
static inline void mont_sqr(u256 r, const u256 a, const u256 m, uint64_t n0) {
    uint64_t t[8] = {0};
    for (int i = 0; i < 3; i++) {
        u128 c = 0;
        for (int j = i + 1; j < 4; j++) {
            c += (u128)a[i] * a[j] + t[i + j];
            t[i + j] = (uint64_t)c;
            c >>= 64;
        }
        t[i + 4] = (uint64_t)c;
    }
    uint64_t top = 0;
    for (int i = 0; i < 8; i++) { /* double the cross products */
        uint64_t next = t[i] >> 63;
        t[i] = (t[i] << 1) | top;
        top = next;
    }
    u128 c = 0;
    for (int i = 0; i < 4; i++) { /* add the squares a[i]^2 at limb 2i */
        u128 sq = (u128)a[i] * a[i];
        c += (u128)t[2 * i] + (uint64_t)sq;
        t[2 * i] = (uint64_t)c;
        c >>= 64;
        c += (u128)t[2 * i + 1] + (uint64_t)(sq >> 64);
        t[2 * i + 1] = (uint64_t)c;
        c >>= 64;
    }
    mont_reduce(r, t, m, n0);
}

#endif
