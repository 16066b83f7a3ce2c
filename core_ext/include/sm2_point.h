/* Points of the SM2 curve y^2 = x^3 - 3x + b over GF(p), coordinates in the
 * Montgomery domain. Jacobian (X, Y, Z) stands for (X/Z^2, Y/Z^3); Z = 0 is the
 * point at infinity. Formulas: dbl-2004-hmv (a = -3), madd-2007-bl, add-2007-bl
 * from the Explicit-Formulas Database.
 *
 * The *_vartime functions branch on the special cases (equal points, infinity)
 * and are used only on public data (verification). jp_add_affine_ct is the
 * branch-free mixed addition for secret scalars; its caller rules out the
 * special cases (see sm2_ecmult.h).
 */
#ifndef SM2_POINT_H
#define SM2_POINT_H

#include "sm2_field.h"

typedef struct { u256 x, y, z; } jpoint;
typedef struct { u256 x, y; } apoint;

static inline void jp_set_infinity(jpoint *r) { memset(r, 0, sizeof *r); }

static inline void jp_from_affine(jpoint *r, const apoint *a) {
    memcpy(r->x, a->x, sizeof(u256));
    memcpy(r->y, a->y, sizeof(u256));
    memcpy(r->z, SM2_ONE_MONT, sizeof(u256));
}

static inline void jp_double(jpoint *r, const jpoint *a) {
    /* dbl-2004-hmv order of operations (as in OpenSSL's nistz256): 4M + 4S */
    u256 s, zz, m, t, y4;
    fe_add(s, a->y, a->y);                    /* S = 2Y */
    fe_sqr(zz, a->z);
    fe_sqr(s, s);                             /* S = 4Y^2 */
    fe_mul(t, a->z, a->y);
    fe_add(r->z, t, t);                       /* Z3 = 2YZ (Y, Z no longer needed) */
    fe_add(m, a->x, zz);
    fe_sub(zz, a->x, zz);
    fe_sqr(y4, s);
    fe_half(y4, y4);                          /* 8Y^4 */
    fe_mul(m, m, zz);
    fe_add(t, m, m);
    fe_add(m, m, t);                          /* M = 3 (X + Z^2)(X - Z^2) */
    fe_mul(s, s, a->x);                       /* S = 4XY^2 */
    fe_add(t, s, s);
    fe_sqr(r->x, m);
    fe_sub(r->x, r->x, t);                    /* X3 = M^2 - 2S */
    fe_sub(s, s, r->x);
    fe_mul(s, s, m);
    fe_sub(r->y, s, y4);                      /* Y3 = M (S - X3) - 8Y^4 */
}

/* r = a + b, b affine; r may alias a. Sets *h_zero when H = 0 (a = +-b or a at
 * infinity), in which case r is meaningless. */
static inline void jp_add_affine_raw(jpoint *r, const jpoint *a, const apoint *b,
                                     uint64_t *h_zero, uint64_t *r_zero) {
    u256 z1z1, u2, s2, h, hh, i, j, rr, v, t;
    fe_sqr(z1z1, a->z);
    fe_mul(u2, b->x, z1z1);
    fe_mul(s2, b->y, a->z);
    fe_mul(s2, s2, z1z1);
    fe_sub(h, u2, a->x);
    fe_sub(rr, s2, a->y);
    *h_zero = u256_is_zero(h);
    *r_zero = u256_is_zero(rr);
    fe_add(rr, rr, rr);
    fe_sqr(hh, h);
    fe_add(i, hh, hh);
    fe_add(i, i, i);
    fe_mul(j, h, i);
    fe_mul(v, a->x, i);
    fe_add(t, a->z, h);
    fe_sqr(t, t);
    fe_sub(t, t, z1z1);
    fe_sub(r->z, t, hh);                      /* Z3 = (Z1 + H)^2 - Z1Z1 - HH */
    fe_mul(t, a->y, j);
    fe_add(t, t, t);                          /* 2 Y1 J, before Y1 may be overwritten */
    fe_sqr(u2, rr);
    fe_sub(u2, u2, j);
    fe_sub(u2, u2, v);
    fe_sub(r->x, u2, v);                      /* X3 = r^2 - J - 2V */
    fe_sub(v, v, r->x);
    fe_mul(v, rr, v);
    fe_sub(r->y, v, t);                       /* Y3 = r (V - X3) - 2 Y1 J */
}

static inline void jp_add_affine_vartime(jpoint *r, const jpoint *a, const apoint *b) {
    if (u256_is_zero(a->z)) {
        jp_from_affine(r, b);
        return;
    }
    uint64_t h_zero, r_zero;
    jp_add_affine_raw(r, a, b, &h_zero, &r_zero);
    if (h_zero) {
        if (r_zero) {
            jpoint bj;
            jp_from_affine(&bj, b);
            jp_double(r, &bj);
        } else {
            jp_set_infinity(r);
        }
    }
}

/* r = a + b, both Jacobian, any inputs (r may alias a or b). */
static inline void jp_add_vartime(jpoint *r, const jpoint *a, const jpoint *b) {
    if (u256_is_zero(a->z)) { *r = *b; return; }
    if (u256_is_zero(b->z)) { *r = *a; return; }
    u256 z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    fe_sqr(z1z1, a->z);
    fe_sqr(z2z2, b->z);
    fe_mul(u1, a->x, z2z2);
    fe_mul(u2, b->x, z1z1);
    fe_mul(s1, a->y, b->z);
    fe_mul(s1, s1, z2z2);
    fe_mul(s2, b->y, a->z);
    fe_mul(s2, s2, z1z1);
    fe_sub(h, u2, u1);
    fe_sub(rr, s2, s1);
    if (u256_is_zero(h)) {
        if (u256_is_zero(rr)) {
            jpoint twice;
            jp_double(&twice, a);
            *r = twice;
        } else {
            jp_set_infinity(r);
        }
        return;
    }
    fe_add(rr, rr, rr);
    fe_add(i, h, h);
    fe_sqr(i, i);
    fe_mul(j, h, i);
    fe_mul(v, u1, i);
    fe_add(t, a->z, b->z);
    fe_sqr(t, t);
    fe_sub(t, t, z1z1);
    fe_sub(t, t, z2z2);
    fe_mul(r->z, t, h);                       /* Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H */
    fe_sqr(t, rr);
    fe_sub(t, t, j);
    fe_sub(t, t, v);
    fe_sub(r->x, t, v);                       /* X3 = r^2 - J - 2V */
    fe_sub(v, v, r->x);
    fe_mul(v, rr, v);
    fe_mul(s1, s1, j);
    fe_add(s1, s1, s1);
    fe_sub(r->y, v, s1);                      /* Y3 = r (V - X3) - 2 S1 J */
}

static inline void jp_neg(jpoint *r, const jpoint *a) {
    *r = *a;
    fe_neg(r->y, a->y);
}

/* Affine coordinates (still Montgomery) of a point not at infinity. */
static inline void jp_to_affine(apoint *r, const jpoint *a) {
    u256 zi, zi2;
    fe_inv(zi, a->z);
    fe_sqr(zi2, zi);
    fe_mul(r->x, a->x, zi2);
    fe_mul(zi2, zi2, zi);
    fe_mul(r->y, a->y, zi2);
}

/* Affine forms of count points (none at infinity) with one inversion
 * (Montgomery's trick); scratch holds count field elements. */
static inline void jp_batch_to_affine(apoint *out, const jpoint *in, size_t count,
                                      u256 *scratch) {
    if (count == 0) return;
    memcpy(scratch[0], in[0].z, sizeof(u256));
    for (size_t i = 1; i < count; i++) fe_mul(scratch[i], scratch[i - 1], in[i].z);
    u256 inv, zi, zi2;
    fe_inv(inv, scratch[count - 1]);
    for (size_t i = count; i-- > 0;) {
        if (i > 0) {
            fe_mul(zi, inv, scratch[i - 1]);  /* 1 / Z_i */
            fe_mul(inv, inv, in[i].z);        /* 1 / (Z_0 ... Z_{i-1}) */
        } else {
            memcpy(zi, inv, sizeof zi);
        }
        fe_sqr(zi2, zi);
        fe_mul(out[i].x, in[i].x, zi2);
        fe_mul(zi2, zi2, zi);
        fe_mul(out[i].y, in[i].y, zi2);
    }
}

/* Is the affine point (x, y), given in plain form, on the curve? */
static inline int sm2_on_curve_plain(const u256 x, const u256 y) {
    u256 xm, ym, lhs, rhs, t;
    fe_to_mont(xm, x);
    fe_to_mont(ym, y);
    fe_sqr(lhs, ym);
    fe_sqr(rhs, xm);
    fe_mul(rhs, rhs, xm);
    fe_add(t, xm, xm);
    fe_add(t, t, xm);
    fe_sub(rhs, rhs, t);
    fe_add(rhs, rhs, SM2_B_MONT);
    return u256_eq(lhs, rhs);
}

#endif
