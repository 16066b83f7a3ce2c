/* Scalar multiplication on SM2.
 *
 * G: a fixed-base table, built once (sm2_g_table_init): for each of 37 windows
 * of 7 bits, the affine multiples 1..64 of 2^(7i) G. A scalar is Booth-recoded
 * into signed digits in [-64, 64], so k G costs 37 mixed additions and no
 * doubling. Verification indexes the table directly; signing scans every entry
 * of a window with masks (sm2_mul_g_ct), so nothing depends on the secret.
 *
 * Public keys (verification only, variable time):
 *   fresh    wNAF (w = 5) of the 256-bit scalar over Jacobian odd multiples
 *            P, 3P, ..., 15P: 256 doublings;
 *   cached   sm2_key_table: Q_j = 2^(64 j) P for j < 4 and their affine odd
 *            multiples up to 31 Q_j; the scalar is cut into four 64-bit pieces
 *            whose wNAFs (w = 6) share one chain of 65 doublings.
 */
#ifndef SM2_ECMULT_H
#define SM2_ECMULT_H

#include <stdlib.h>
#include "sm2_point.h"

#define SM2_G_WINDOWS 37
#define SM2_G_ENTRIES 64
#define SM2_FRESH_W 5
#define SM2_FRESH_ODD (1 << (SM2_FRESH_W - 2))
#define SM2_KEY_PIECES 4
#define SM2_KEY_W 6
#define SM2_KEY_ODD (1 << (SM2_KEY_W - 2))

static const u256 SM2_GX = {0x715a4589334c74c7ULL, 0x8fe30bbff2660be1ULL,
                            0x5f9904466a39c994ULL, 0x32c4ae2c1f198119ULL};
static const u256 SM2_GY = {0x02df32e52139f0a0ULL, 0xd0a9877cc62a4740ULL,
                            0x59bdcee36b692153ULL, 0xbc3736a2f4f6779cULL};

static apoint (*sm2_g_table)[SM2_G_ENTRIES];

typedef struct {
    apoint odd[SM2_KEY_PIECES][SM2_KEY_ODD];
} sm2_key_table;

/* Builds the G table; returns 0 on allocation failure. */
static int sm2_g_table_init(void) {
    size_t count = (size_t)SM2_G_WINDOWS * SM2_G_ENTRIES;
    apoint(*table)[SM2_G_ENTRIES] = malloc(count * sizeof(apoint));
    jpoint *jac = malloc(count * sizeof(jpoint));
    u256 *scratch = malloc(count * sizeof(u256));
    if (!table || !jac || !scratch) {
        free(table); free(jac); free(scratch);
        return 0;
    }
    jpoint base;
    fe_to_mont(base.x, SM2_GX);
    fe_to_mont(base.y, SM2_GY);
    memcpy(base.z, SM2_ONE_MONT, sizeof(u256));
    for (int i = 0; i < SM2_G_WINDOWS; i++) {
        jpoint *row = jac + (size_t)i * SM2_G_ENTRIES;
        row[0] = base;
        for (int j = 1; j < SM2_G_ENTRIES; j++) jp_add_vartime(&row[j], &row[j - 1], &base);
        for (int k = 0; k < 7; k++) jp_double(&base, &base);
    }
    jp_batch_to_affine(&table[0][0], jac, count, scratch);
    free(jac);
    free(scratch);
    sm2_g_table = table;
    return 1;
}

/* Booth digit of window i (bits 7i-1 .. 7i+6): magnitude in [0, 64], sign. */
static inline void booth_digit_w7(const u256 k, int i, uint64_t *magnitude, uint64_t *negative) {
    int low = 7 * i - 1;
    uint64_t bits = 0;
    for (int b = 0; b < 8; b++) { /* public positions: no secret-dependent index */
        int pos = low + b;
        if (pos >= 0 && pos < 256) bits |= ((k[pos / 64] >> (pos % 64)) & 1) << b;
    }
    uint64_t sign = 0 - (bits >> 7);         /* all-ones if the top bit is set */
    uint64_t d = ((255 - bits) & sign) | (bits & ~sign);
    *magnitude = (d >> 1) + (d & 1);
    *negative = sign & 1;
}

static void sm2_mul_g_vartime(jpoint *r, const u256 k) {
    jp_set_infinity(r);
    for (int i = 0; i < SM2_G_WINDOWS; i++) {
        uint64_t magnitude, negative;
        booth_digit_w7(k, i, &magnitude, &negative);
        if (magnitude == 0) continue;
        apoint entry = sm2_g_table[i][magnitude - 1];
        if (negative) fe_neg(entry.y, entry.y);
        jp_add_affine_vartime(r, r, &entry);
    }
}

/* k G for a secret k in [1, n-1], in constant time. Partial sums never equal
 * minus the next entry, and equal it only possibly in the last window (the
 * magnitudes involved are below n elsewhere), so only that window, whatever k,
 * computes a doubling to select in that case. */
static void sm2_mul_g_ct(jpoint *r, const u256 k) {
    jp_set_infinity(r);
    for (int i = 0; i < SM2_G_WINDOWS; i++) {
        uint64_t magnitude, negative;
        booth_digit_w7(k, i, &magnitude, &negative);
        apoint entry;
        memset(&entry, 0, sizeof entry);
        for (uint64_t j = 0; j < SM2_G_ENTRIES; j++) {
            uint64_t hit = 0 - (uint64_t)(((j + 1) ^ magnitude) == 0);
            u256_cmov(entry.x, sm2_g_table[i][j].x, hit);
            u256_cmov(entry.y, sm2_g_table[i][j].y, hit);
        }
        u256 neg_y;
        fe_neg(neg_y, entry.y);
        u256_cmov(entry.y, neg_y, 0 - negative);
        jpoint sum, entry_j;
        uint64_t h_zero, r_zero;
        jp_add_affine_raw(&sum, r, &entry, &h_zero, &r_zero);
        jp_from_affine(&entry_j, &entry);
        if (i == SM2_G_WINDOWS - 1) { /* a public index: every k doubles here */
            jpoint twice;
            jp_double(&twice, r);
            uint64_t use_twice = 0 - (h_zero & r_zero & ~u256_is_zero(r->z) & 1);
            u256_cmov(sum.x, twice.x, use_twice);
            u256_cmov(sum.y, twice.y, use_twice);
            u256_cmov(sum.z, twice.z, use_twice);
        }
        uint64_t at_infinity = 0 - u256_is_zero(r->z);
        uint64_t skip = 0 - (uint64_t)(magnitude == 0);
        for (int c = 0; c < 3; c++) {
            u256 *dst = c == 0 ? &sum.x : c == 1 ? &sum.y : &sum.z;
            const u256 *alt = c == 0 ? &entry_j.x : c == 1 ? &entry_j.y : &entry_j.z;
            const u256 *old = c == 0 ? &r->x : c == 1 ? &r->y : &r->z;
            u256_cmov(*dst, *alt, at_infinity);
            u256_cmov(*dst, *old, skip);
        }
        *r = sum;
    }
}

/* Width-w NAF of the low `bits` bits of k into out[0..bits] (odd digits in
 * (-2^(w-1), 2^(w-1)) or 0). Variable time: public scalars only. */
static void wnaf(int8_t *out, const u256 k, int bits, int offset, int w) {
    memset(out, 0, (size_t)bits + 1);
    int bit = 0, carry = 0;
    while (bit < bits) {
        int pos = offset + bit;
        if ((int)((k[pos / 64] >> (pos % 64)) & 1) == carry) {
            bit++;
            continue;
        }
        int now = w < bits - bit ? w : bits - bit;
        int word = carry;
        for (int b = 0; b < now; b++) {
            int q = pos + b;
            word += (int)((k[q / 64] >> (q % 64)) & 1) << b;
        }
        carry = (word >> (w - 1)) & 1;
        word -= carry << w;
        out[bit] = (int8_t)word;
        bit += now;
    }
    out[bits] = (int8_t)carry;
}

static void sm2_mul_fresh_vartime(jpoint *r, const apoint *p, const u256 t) {
    jpoint odd[SM2_FRESH_ODD], twice;
    int8_t digits[257];
    jp_from_affine(&odd[0], p);
    jp_double(&twice, &odd[0]);
    for (int i = 1; i < SM2_FRESH_ODD; i++) jp_add_vartime(&odd[i], &odd[i - 1], &twice);
    wnaf(digits, t, 256, 0, SM2_FRESH_W);
    jp_set_infinity(r);
    for (int i = 256; i >= 0; i--) {
        jp_double(r, r);
        int d = digits[i];
        if (d > 0) {
            jp_add_vartime(r, r, &odd[d / 2]);
        } else if (d < 0) {
            jpoint neg;
            jp_neg(&neg, &odd[-d / 2]);
            jp_add_vartime(r, r, &neg);
        }
    }
}

static void sm2_key_table_build(sm2_key_table *table, const apoint *p) {
    jpoint jac[SM2_KEY_PIECES][SM2_KEY_ODD], base, twice;
    u256 scratch[SM2_KEY_PIECES * SM2_KEY_ODD];
    jp_from_affine(&base, p);
    for (int j = 0; j < SM2_KEY_PIECES; j++) {
        jac[j][0] = base;
        jp_double(&twice, &base);
        for (int i = 1; i < SM2_KEY_ODD; i++) jp_add_vartime(&jac[j][i], &jac[j][i - 1], &twice);
        for (int k = 0; k < 256 / SM2_KEY_PIECES; k++) jp_double(&base, &base);
    }
    jp_batch_to_affine(&table->odd[0][0], &jac[0][0], SM2_KEY_PIECES * SM2_KEY_ODD, scratch);
}

static void sm2_mul_table_vartime(jpoint *r, const sm2_key_table *table, const u256 t) {
    enum { PIECE = 256 / SM2_KEY_PIECES };
    int8_t digits[SM2_KEY_PIECES][PIECE + 1];
    for (int j = 0; j < SM2_KEY_PIECES; j++) wnaf(digits[j], t, PIECE, PIECE * j, SM2_KEY_W);
    jp_set_infinity(r);
    for (int i = PIECE; i >= 0; i--) {
        jp_double(r, r);
        for (int j = 0; j < SM2_KEY_PIECES; j++) {
            int d = digits[j][i];
            if (d == 0) continue;
            apoint entry = table->odd[j][(d < 0 ? -d : d) / 2];
            if (d < 0) fe_neg(entry.y, entry.y);
            jp_add_affine_vartime(r, r, &entry);
        }
    }
}

#endif
