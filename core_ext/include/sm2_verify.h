/* SM2 verification from bytes to a reason code, with no Python objects, so
 * whole batches run without the GIL. Reason codes (and their order) are the
 * ones documented in core_ext/sm2.py; 0 means valid. */
#ifndef SM2_VERIFY_H
#define SM2_VERIFY_H

#include "eport_sm3.h"
#include "sm2_der.h"
#include "sm2_ecmult.h"

enum {
    SM2_OK = 0,
    SM2_KEY_LENGTH,
    SM2_KEY_PREFIX,
    SM2_KEY_COORDINATE_RANGE,
    SM2_KEY_INFINITY,
    SM2_KEY_NOT_ON_CURVE,
    SM2_UID_LENGTH,
    SM2_SIG_LENGTH,
    SM2_SIG_DER,
    SM2_SIG_RANGE,
    SM2_SIG_R_PLUS_S_ZERO,
    SM2_SIG_MISMATCH,
};

#define SM2_MAX_UID 8191 /* ENTL, the uid's length in bits, is 16 bits */

/* A validated public key with what verification reuses (the cache's value). */
typedef struct {
    uint8_t xy[64];            /* X || Y, big-endian */
    apoint point;              /* Montgomery affine */
    uint8_t za_default[32];    /* Z_A for the default uid */
    sm2_key_table *table;      /* NULL until built (heap; the owner frees it) */
} sm2_key;

static const uint8_t SM2_DEFAULT_UID[16] = "1234567812345678";

/* Z_A = SM3(ENTL || uid || a || b || xG || yG || xA || yA); uid_len <= SM2_MAX_UID. */
static void sm2_za(uint8_t out[32], const uint8_t *uid, size_t uid_len, const uint8_t xy[64]) {
    static const uint8_t curve[128] = {
        0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc,
        0x28, 0xe9, 0xfa, 0x9e, 0x9d, 0x9f, 0x5e, 0x34, 0x4d, 0x5a, 0x9e, 0x4b, 0xcf, 0x65, 0x09, 0xa7,
        0xf3, 0x97, 0x89, 0xf5, 0x15, 0xab, 0x8f, 0x92, 0xdd, 0xbc, 0xbd, 0x41, 0x4d, 0x94, 0x0e, 0x93,
        0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19, 0x5f, 0x99, 0x04, 0x46, 0x6a, 0x39, 0xc9, 0x94,
        0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66, 0x0b, 0xe1, 0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74, 0xc7,
        0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c, 0x59, 0xbd, 0xce, 0xe3, 0x6b, 0x69, 0x21, 0x53,
        0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a, 0x47, 0x40, 0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0, 0xa0,
    };
    uint8_t entl[2] = {(uint8_t)(uid_len >> 5), (uint8_t)(uid_len << 3)};
    sm3_ctx ctx;
    sm3_init(&ctx);
    sm3_update(&ctx, entl, 2);
    sm3_update(&ctx, uid, uid_len);
    sm3_update(&ctx, curve, sizeof curve);
    sm3_update(&ctx, xy, 64);
    sm3_final(&ctx, out);
}

/* Validates an encoded public key into key (without its table); returns a reason. */
static int sm2_key_parse(sm2_key *key, const uint8_t *bytes, size_t len) {
    if (len == 65) {
        if (bytes[0] != 0x04) return SM2_KEY_PREFIX;
        bytes++;
        len--;
    }
    if (len != 64) return SM2_KEY_LENGTH;
    u256 x, y;
    u256_from_be(x, bytes);
    u256_from_be(y, bytes + 32);
    if (!u256_lt(x, SM2_P) || !u256_lt(y, SM2_P)) return SM2_KEY_COORDINATE_RANGE;
    if (u256_is_zero(x) && u256_is_zero(y)) return SM2_KEY_INFINITY;
    if (!sm2_on_curve_plain(x, y)) return SM2_KEY_NOT_ON_CURVE;
    memcpy(key->xy, bytes, 64);
    fe_to_mont(key->point.x, x);
    fe_to_mont(key->point.y, y);
    sm2_za(key->za_default, SM2_DEFAULT_UID, sizeof SM2_DEFAULT_UID, key->xy);
    key->table = NULL;
    return SM2_OK;
}

/* Gives a parsed key its precomputed multiples (the cache's second sighting);
 * 0 if out of memory. The caller owns key->table afterwards. */
static int sm2_key_table_build_for(sm2_key *key) {
    key->table = malloc(sizeof *key->table);
    if (!key->table) return 0;
    sm2_key_table_build(key->table, &key->point);
    return 1;
}

/* Raw 64 bytes or strict DER into (r, s); returns a reason. */
static int sm2_sig_parse(u256 r, u256 s, const uint8_t *sig, size_t len) {
    uint8_t raw[64];
    if (len != 64) {
        if (len < 8 || len > SM2_DER_MAX) return SM2_SIG_LENGTH;
        if (!sm2_sig_from_der(sig, len, raw)) return SM2_SIG_DER;
        sig = raw;
    }
    u256_from_be(r, sig);
    u256_from_be(s, sig + 32);
    return SM2_OK;
}

/* Does (x1, y1) = s G + t P satisfy (e + x1) mod n == r? Compared without an
 * inversion: x1 = X / Z^2 is in [0, p) and p < 2n, so x1 is (r - e) mod n or
 * that plus n, and X == candidate * Z^2 is checked in the field. */
static int sm2_check_equation(const sm2_key *key, const u256 e, const u256 r, const u256 s,
                              const u256 t) {
    jpoint sum, tp;
    sm2_mul_g_vartime(&sum, s);
    if (key->table)
        sm2_mul_table_vartime(&tp, key->table, t);
    else
        sm2_mul_fresh_vartime(&tp, &key->point, t);
    jp_add_vartime(&sum, &sum, &tp);
    if (u256_is_zero(sum.z)) return 0;
    u256 candidate, cm, zz, rhs;
    sc_sub(candidate, r, e);
    fe_sqr(zz, sum.z);
    for (int round = 0; round < 2; round++) {
        if (!u256_lt(candidate, SM2_P)) break;
        fe_to_mont(cm, candidate);
        fe_mul(rhs, cm, zz);
        if (u256_eq(rhs, sum.x)) return 1;
        u128 c = 0; /* candidate += n; if that overflows 256 bits, it is >= p */
        for (int i = 0; i < 4; i++) {
            c += (u128)candidate[i] + SM2_N[i];
            candidate[i] = (uint64_t)c;
            c >>= 64;
        }
        if (c) break;
    }
    return 0;
}

/* Verification of a signature over msg, given the Z_A of key and uid. */
static int sm2_verify_with_za(const sm2_key *key, const uint8_t za[32], const uint8_t *msg,
                              size_t msg_len, const uint8_t *sig, size_t sig_len) {
    u256 r, s, t, e;
    int reason = sm2_sig_parse(r, s, sig, sig_len);
    if (reason) return reason;
    if (u256_is_zero(r) || u256_is_zero(s) || !u256_lt(r, SM2_N) || !u256_lt(s, SM2_N))
        return SM2_SIG_RANGE;
    sc_add(t, r, s);
    if (u256_is_zero(t)) return SM2_SIG_R_PLUS_S_ZERO;
    uint8_t digest[32];
    sm3_ctx ctx;
    sm3_init(&ctx);
    sm3_update(&ctx, za, 32);
    sm3_update(&ctx, msg, msg_len);
    sm3_final(&ctx, digest);
    u256_from_be(e, digest);
    sc_reduce(e, e);
    return sm2_check_equation(key, e, r, s, t) ? SM2_OK : SM2_SIG_MISMATCH;
}

/* One verification, end to end. key is a parsed key (cache hit) or NULL, in
 * which case key_bytes are parsed here. */
typedef struct {
    const uint8_t *key_bytes;
    size_t key_len;
    const sm2_key *key;
    const uint8_t *msg;
    size_t msg_len;
    const uint8_t *sig;
    size_t sig_len;
    const uint8_t *uid;  /* NULL: the default uid */
    size_t uid_len;
} sm2_job;

static int sm2_job_run(const sm2_job *job) {
    sm2_key parsed;
    const sm2_key *key = job->key;
    if (!key) {
        int reason = sm2_key_parse(&parsed, job->key_bytes, job->key_len);
        if (reason) return reason;
        key = &parsed;
    }
    if (!job->uid)
        return sm2_verify_with_za(key, key->za_default, job->msg, job->msg_len, job->sig,
                                  job->sig_len);
    if (job->uid_len > SM2_MAX_UID) return SM2_UID_LENGTH;
    uint8_t za[32];
    sm2_za(za, job->uid, job->uid_len, key->xy);
    return sm2_verify_with_za(key, za, job->msg, job->msg_len, job->sig, job->sig_len);
}

#endif
