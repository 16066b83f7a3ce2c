/* The two SM2 moduli on top of eport_u256.h:
 *   fe_*  the field GF(p), Montgomery form (fe_mul, fe_sqr, fe_add, fe_sub in
 *         sm2_fp.h, specialised to the shape of p);
 *   sc_*  integers mod the group order n (plain form in and out; Montgomery only
 *         inside sc_mul).
 * Constants were computed with Python integers; tests/test_sm2_constants.py
 * recomputes every one of them from the headers.
 */
#ifndef SM2_FIELD_H
#define SM2_FIELD_H

#include "sm2_fp.h"

static const u256 SM2_P = {0xffffffffffffffffULL, 0xffffffff00000000ULL,
                           0xffffffffffffffffULL, 0xfffffffeffffffffULL};
static const u256 SM2_P_RR = {0x0000000200000003ULL, 0x00000002ffffffffULL,
                              0x0000000100000001ULL, 0x0000000400000002ULL};
static const u256 SM2_N = {0x53bbf40939d54123ULL, 0x7203df6b21c6052bULL,
                           0xffffffffffffffffULL, 0xfffffffeffffffffULL};
static const u256 SM2_N_RR = {0x901192af7c114f20ULL, 0x3464504ade6fa2faULL,
                              0x620fc84c3affe0d4ULL, 0x1eb5e412a22b3d3bULL};
#define SM2_N_N0 0x327f9e8872350975ULL
/* b and 1 in the Montgomery domain (times 2^256 mod p) */
static const u256 SM2_B_MONT = {0x90d230632bc0dd42ULL, 0x71cf379ae9b537abULL,
                                0x527981505ea51c3cULL, 0x240fe188ba20e2c8ULL};
static const u256 SM2_ONE_MONT = {0x0000000000000001ULL, 0x00000000ffffffffULL,
                                  0x0000000000000000ULL, 0x0000000100000000ULL};

static inline void fe_neg(u256 r, const u256 a) {
    static const u256 zero = {0, 0, 0, 0};
    fe_sub(r, zero, a);
}
static inline void fe_to_mont(u256 r, const u256 a) { fe_mul(r, a, SM2_P_RR); }
static inline void fe_from_mont(u256 r, const u256 a) {
    static const u256 one = {1, 0, 0, 0};
    fe_mul(r, a, one);
}

static inline void fe_sqr_n(u256 r, const u256 a, int n) {
    fe_sqr(r, a);
    for (int i = 1; i < n; i++) fe_sqr(r, r);
}

/* r = a^(p-2) = a^-1 (0 for a = 0), by a fixed addition chain over the bits of
 * p - 2 = 1^31 0 1^128 0^32 1^32 1^30 0 1 (runs written as x_k = a^(2^k - 1)). */
static inline void fe_inv(u256 r, const u256 a) {
    u256 x2, x3, x6, x12, x24, x30, x31, x32, t;
    fe_sqr(t, a); fe_mul(x2, t, a);
    fe_sqr(t, x2); fe_mul(x3, t, a);
    fe_sqr_n(t, x3, 3); fe_mul(x6, t, x3);
    fe_sqr_n(t, x6, 6); fe_mul(x12, t, x6);
    fe_sqr_n(t, x12, 12); fe_mul(x24, t, x12);
    fe_sqr_n(t, x24, 6); fe_mul(x30, t, x6);
    fe_sqr(t, x30); fe_mul(x31, t, a);
    fe_sqr(t, x31); fe_mul(x32, t, a);
    fe_sqr_n(t, x31, 1);                       /* 1^31 0 */
    for (int i = 0; i < 4; i++) { fe_sqr_n(t, t, 32); fe_mul(t, t, x32); } /* 1^128 */
    fe_sqr_n(t, t, 32);                        /* 0^32 */
    fe_sqr_n(t, t, 32); fe_mul(t, t, x32);     /* 1^32 */
    fe_sqr_n(t, t, 30); fe_mul(t, t, x30);     /* 1^30 */
    fe_sqr_n(t, t, 2); fe_mul(r, t, a);        /* 0 1 */
}

/* scalars mod n, plain representation */
static inline void sc_add(u256 r, const u256 a, const u256 b) { mod_add(r, a, b, SM2_N); }
static inline void sc_sub(u256 r, const u256 a, const u256 b) { mod_sub(r, a, b, SM2_N); }
static inline void sc_mul(u256 r, const u256 a, const u256 b) { /* (a R)(b) / R = a b */
    u256 am;
    mont_mul(am, a, SM2_N_RR, SM2_N, SM2_N_N0);
    mont_mul(r, am, b, SM2_N, SM2_N_N0);
}

/* r = a mod n for any 256-bit a (a < 2^256 < 2n, so one conditional subtraction) */
static inline void sc_reduce(u256 r, const u256 a) { mod_reduce_once(r, a, 0, SM2_N); }

/* r = a^(n-2) = a^-1 mod n by fixed 4-bit windows over the public exponent;
 * the sequence of operations does not depend on a (constant time for secret a). */
static inline void sc_inv(u256 r, const u256 a) {
    static const u256 exponent = {0x53bbf40939d54121ULL, 0x7203df6b21c6052bULL,
                                  0xffffffffffffffffULL, 0xfffffffeffffffffULL};
    u256 table[16], acc;
    mont_mul(table[1], a, SM2_N_RR, SM2_N, SM2_N_N0); /* a R */
    mont_mul(table[0], SM2_N_RR, (const u256){1, 0, 0, 0}, SM2_N, SM2_N_N0); /* R */
    for (int i = 2; i < 16; i++) mont_mul(table[i], table[i - 1], table[1], SM2_N, SM2_N_N0);
    memcpy(acc, table[0], sizeof acc);
    for (int i = 63; i >= 0; i--) {
        for (int k = 0; k < 4; k++) mont_sqr(acc, acc, SM2_N, SM2_N_N0);
        unsigned digit = (unsigned)(exponent[i / 16] >> (4 * (i % 16))) & 15;
        mont_mul(acc, acc, table[digit], SM2_N, SM2_N_N0); /* public index */
    }
    mont_mul(r, acc, (const u256){1, 0, 0, 0}, SM2_N, SM2_N_N0);
}

#endif
