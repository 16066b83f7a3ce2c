/* Arithmetic in GF(p), p = 2^256 - 2^224 - 2^96 + 2^64 - 1, in the Montgomery
 * domain (R = 2^256), unrolled with explicit carry chains.
 *
 * Montgomery reduction needs no multiplication here: p = -1 mod 2^64, so the
 * quotient digit of each step is the low limb q itself, and
 *     (t + q p) / 2^64 = (t >> 64) + q (2^192 - 2^160 - 2^32 + 1),
 * whose second term is a few shifts and subtractions of q.
 * All functions are branch-free (constant time). Inputs must be < p; outputs are.
 */
#ifndef SM2_FP_H
#define SM2_FP_H

#include "eport_u256.h"

/* The field operations are the inner loop of everything: always inline them
 * (left to itself, gcc keeps fe_mul out of line in the large Cython unit). */
#if defined(__GNUC__)
#define FP_INLINE static inline __attribute__((always_inline))
#else
#define FP_INLINE static inline
#endif

/* Add and subtract with carry. On x86-64 the intrinsics become adc/sbb chains; the
 * result goes through a local so the limbs themselves never have their address
 * taken (which made some translation units keep them in memory). */
#if defined(__x86_64__)
#include <x86intrin.h>
FP_INLINE uint8_t fp_adc(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
    unsigned long long result;
    c = _addcarry_u64(c, a, b, &result);
    *out = result;
    return c;
}
FP_INLINE uint8_t fp_sbb(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
    unsigned long long result;
    c = _subborrow_u64(c, a, b, &result);
    *out = result;
    return c;
}
#else
FP_INLINE uint8_t fp_adc(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
    u128 s = (u128)a + b + c;
    *out = (uint64_t)s;
    return (uint8_t)(s >> 64);
}
FP_INLINE uint8_t fp_sbb(uint8_t c, uint64_t a, uint64_t b, uint64_t *out) {
    u128 d = (u128)a - b - c;
    *out = (uint64_t)d;
    return (uint8_t)((d >> 64) & 1);
}
#endif
#define ADC(c, a, b, out) fp_adc((c), (a), (b), (out))
#define SBB(c, a, b, out) fp_sbb((c), (a), (b), (out))

#define FP0 0xffffffffffffffffULL
#define FP1 0xffffffff00000000ULL
#define FP2 0xffffffffffffffffULL
#define FP3 0xfffffffeffffffffULL

/* r = (top:t0..t3) mod p for a value < 2p: subtract p, and add it back if that
 * went negative (a masked addition: compilers keep it branch-free and scalar). */
FP_INLINE void fp_final_sub(u256 r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3,
                                uint64_t top) {
    uint8_t b = SBB(0, t0, FP0, &t0);
    b = SBB(b, t1, FP1, &t1);
    b = SBB(b, t2, FP2, &t2);
    b = SBB(b, t3, FP3, &t3);
    b = SBB(b, top, 0, &top);
    uint64_t mask = 0 - (uint64_t)b;
    uint8_t c = ADC(0, t0, FP0 & mask, &r[0]);
    c = ADC(c, t1, FP1 & mask, &r[1]);
    c = ADC(c, t2, FP2 & mask, &r[2]);
    (void)ADC(c, t3, FP3 & mask, &r[3]);
}

FP_INLINE void fe_add(u256 r, const u256 a, const u256 b) {
    uint64_t t0, t1, t2, t3;
    uint8_t c = ADC(0, a[0], b[0], &t0);
    c = ADC(c, a[1], b[1], &t1);
    c = ADC(c, a[2], b[2], &t2);
    c = ADC(c, a[3], b[3], &t3);
    fp_final_sub(r, t0, t1, t2, t3, c);
}

FP_INLINE void fe_sub(u256 r, const u256 a, const u256 b) {
    uint64_t t0, t1, t2, t3;
    uint8_t c = SBB(0, a[0], b[0], &t0);
    c = SBB(c, a[1], b[1], &t1);
    c = SBB(c, a[2], b[2], &t2);
    c = SBB(c, a[3], b[3], &t3);
    uint64_t mask = 0 - (uint64_t)c; /* negative: add p back */
    c = ADC(0, t0, FP0 & mask, &r[0]);
    c = ADC(c, t1, FP1 & mask, &r[1]);
    c = ADC(c, t2, FP2 & mask, &r[2]);
    (void)ADC(c, t3, FP3 & mask, &r[3]);
}

/* r = a / 2 mod p: add p if a is odd (masked), then shift the 257-bit sum right. */
FP_INLINE void fe_half(u256 r, const u256 a) {
    uint64_t mask = 0 - (a[0] & 1), t0, t1, t2, t3;
    uint8_t c = ADC(0, a[0], FP0 & mask, &t0);
    c = ADC(c, a[1], FP1 & mask, &t1);
    c = ADC(c, a[2], FP2 & mask, &t2);
    c = ADC(c, a[3], FP3 & mask, &t3);
    r[0] = (t0 >> 1) | (t1 << 63);
    r[1] = (t1 >> 1) | (t2 << 63);
    r[2] = (t2 >> 1) | (t3 << 63);
    r[3] = (t3 >> 1) | ((uint64_t)c << 63);
}

/* One Montgomery step on (t4:t3..t0) with t5 the limb above: drop t0 = q and add
 * q (2^192 - 2^160 - 2^32 + 1), computed as [q, 0, 0, q] - [q<<32, q>>32, q<<32, q>>32]. */
#define FP_REDUCE_STEP(t0, t1, t2, t3, t4, t5)                 \
    do {                                                       \
        uint64_t q = t0, lo = q << 32, hi = q >> 32, q0, q1, q2, q3; \
        uint8_t b_ = SBB(0, q, lo, &q0);                       \
        b_ = SBB(b_, 0, hi, &q1);                              \
        b_ = SBB(b_, 0, lo, &q2);                              \
        (void)SBB(b_, q, hi, &q3);                             \
        uint8_t c_ = ADC(0, t1, q0, &t0);                      \
        c_ = ADC(c_, t2, q1, &t1);                             \
        c_ = ADC(c_, t3, q2, &t2);                             \
        c_ = ADC(c_, t4, q3, &t3);                             \
        t4 = t5 + c_;                                          \
    } while (0)

/* r = (t7..t0) / R mod p for a 512-bit t < p R: four reduction steps over the low
 * half leave L / R mod p (< p + 1), then the high half is added: H + L/R < 2p. */
FP_INLINE void fp_reduce(u256 r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3,
                             uint64_t t4, uint64_t t5, uint64_t t6, uint64_t t7) {
    uint64_t z = 0;
    FP_REDUCE_STEP(t0, t1, t2, t3, z, z);
    FP_REDUCE_STEP(t0, t1, t2, t3, z, z);
    FP_REDUCE_STEP(t0, t1, t2, t3, z, z);
    FP_REDUCE_STEP(t0, t1, t2, t3, z, z);
    uint8_t c = ADC(0, t0, t4, &t0);
    c = ADC(c, t1, t5, &t1);
    c = ADC(c, t2, t6, &t2);
    c = ADC(c, t3, t7, &t3);
    fp_final_sub(r, t0, t1, t2, t3, c);
}

/* (c2:c1:c0) += x * y, the column accumulator of product scanning */
#define FP_MAC(x, y)                                            \
    do {                                                        \
        u128 m_ = (u128)(x) * (y);                              \
        uint8_t cc_ = ADC(0, c0, (uint64_t)m_, &c0);            \
        cc_ = ADC(cc_, c1, (uint64_t)(m_ >> 64), &c1);          \
        c2 += cc_;                                              \
    } while (0)
#define FP_COLUMN_DONE(out) \
    do {                    \
        out = c0;           \
        c0 = c1;            \
        c1 = c2;            \
        c2 = 0;             \
    } while (0)

/* r = a b / R mod p: the 512-bit product by columns (independent multiplies), then
 * the reduction. */
FP_INLINE void fe_mul(u256 r, const u256 a, const u256 b) {
    uint64_t t0, t1, t2, t3, t4, t5, c0 = 0, c1 = 0, c2 = 0;
    FP_MAC(a[0], b[0]);
    FP_COLUMN_DONE(t0);
    FP_MAC(a[0], b[1]); FP_MAC(a[1], b[0]);
    FP_COLUMN_DONE(t1);
    FP_MAC(a[0], b[2]); FP_MAC(a[1], b[1]); FP_MAC(a[2], b[0]);
    FP_COLUMN_DONE(t2);
    FP_MAC(a[0], b[3]); FP_MAC(a[1], b[2]); FP_MAC(a[2], b[1]); FP_MAC(a[3], b[0]);
    FP_COLUMN_DONE(t3);
    FP_MAC(a[1], b[3]); FP_MAC(a[2], b[2]); FP_MAC(a[3], b[1]);
    FP_COLUMN_DONE(t4);
    FP_MAC(a[2], b[3]); FP_MAC(a[3], b[2]);
    FP_COLUMN_DONE(t5);
    FP_MAC(a[3], b[3]);
    fp_reduce(r, t0, t1, t2, t3, t4, t5, c0, c1);
}

/* r = a^2 / R mod p: each cross product once, doubled, plus the squares. */
FP_INLINE void fe_sqr(u256 r, const u256 a) {
    u128 m01 = (u128)a[0] * a[1], m02 = (u128)a[0] * a[2], m03 = (u128)a[0] * a[3];
    u128 m12 = (u128)a[1] * a[2], m13 = (u128)a[1] * a[3], m23 = (u128)a[2] * a[3];
    uint64_t t1, t2, t3, t4, t5, t6, t7;
    /* cross products at limbs 1..6 */
    t1 = (uint64_t)m01;
    uint8_t c = ADC(0, (uint64_t)(m01 >> 64), (uint64_t)m02, &t2);
    c = ADC(c, (uint64_t)(m02 >> 64), (uint64_t)m03, &t3);
    c = ADC(c, (uint64_t)(m03 >> 64), (uint64_t)m13, &t4);
    c = ADC(c, (uint64_t)(m13 >> 64), (uint64_t)m23, &t5);
    t6 = (uint64_t)(m23 >> 64) + c;
    c = ADC(0, t3, (uint64_t)m12, &t3);
    c = ADC(c, t4, (uint64_t)(m12 >> 64), &t4);
    c = ADC(c, t5, 0, &t5);
    t6 += c;
    /* doubled */
    t7 = t6 >> 63;
    t6 = (t6 << 1) | (t5 >> 63);
    t5 = (t5 << 1) | (t4 >> 63);
    t4 = (t4 << 1) | (t3 >> 63);
    t3 = (t3 << 1) | (t2 >> 63);
    t2 = (t2 << 1) | (t1 >> 63);
    t1 <<= 1;
    /* plus the squares a[i]^2 at limb 2i */
    u128 s0 = (u128)a[0] * a[0], s1 = (u128)a[1] * a[1];
    u128 s2 = (u128)a[2] * a[2], s3 = (u128)a[3] * a[3];
    c = ADC(0, t1, (uint64_t)(s0 >> 64), &t1);
    c = ADC(c, t2, (uint64_t)s1, &t2);
    c = ADC(c, t3, (uint64_t)(s1 >> 64), &t3);
    c = ADC(c, t4, (uint64_t)s2, &t4);
    c = ADC(c, t5, (uint64_t)(s2 >> 64), &t5);
    c = ADC(c, t6, (uint64_t)s3, &t6);
    (void)ADC(c, t7, (uint64_t)(s3 >> 64), &t7);
    fp_reduce(r, (uint64_t)s0, t1, t2, t3, t4, t5, t6, t7);
}

#endif
