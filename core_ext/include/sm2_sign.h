/* SM2 signing in constant time with respect to the private key and the nonce.
 *
 * The nonce is hedged: k = HMAC-SM3(d, e || 32 fresh random bytes || counter),
 * the counter stepping until a candidate falls in [1, n-1] (rejections reveal
 * nothing about the accepted k). A broken random source therefore still gives
 * distinct nonces for distinct messages, and a fault cannot repeat a nonce.
 * A prepared nonce (sm2_presign_many, below) is hedged with a seed that never repeats
 * instead of the message, which it precedes. */
#ifndef SM2_SIGN_H
#define SM2_SIGN_H

#include "sm2_verify.h"

/* What signing needs about a private key, computed once per key. */
typedef struct {
    u256 d;
    u256 d1_inverse;      /* (1 + d)^-1 mod n */
    uint8_t xy[64];       /* the public key */
    uint8_t za_default[32];  /* Z_A for the default uid */
    sm3_ctx nonce_inner;  /* HMAC-SM3 keyed with d: the ipad block absorbed */
    sm3_ctx nonce_outer;  /* and the opad block */
} sm2_signer;

/* Fills signer from a 32-byte big-endian d; 0 if d is not in [1, n-2]. */
static int sm2_signer_init(sm2_signer *signer, const uint8_t d_bytes[32]) {
    static const u256 one = {1, 0, 0, 0};
    u256 n_minus_1, d_plus_1;
    u256_from_be(signer->d, d_bytes);
    sc_sub(n_minus_1, SM2_N, one);
    if (u256_is_zero(signer->d) || !u256_lt(signer->d, n_minus_1)) return 0;
    jpoint pub;
    apoint affine;
    u256 x, y;
    sm2_mul_g_ct(&pub, signer->d);
    jp_to_affine(&affine, &pub);
    fe_from_mont(x, affine.x);
    fe_from_mont(y, affine.y);
    u256_to_be(signer->xy, x);
    u256_to_be(signer->xy + 32, y);
    sc_add(d_plus_1, signer->d, one);
    sc_inv(signer->d1_inverse, d_plus_1);
    sm2_za(signer->za_default, SM2_DEFAULT_UID, sizeof SM2_DEFAULT_UID, signer->xy);
    hmac_sm3_key(&signer->nonce_inner, &signer->nonce_outer, d_bytes, 32);
    return 1;
}

/* Zeroes secrets in a way the compiler may not leave out. */
static void sm2_wipe(void *secret, size_t size) {
    volatile uint8_t *bytes = (volatile uint8_t *)secret;
    for (size_t i = 0; i < size; i++) bytes[i] = 0;
}

static void sm2_signer_wipe(sm2_signer *signer) { sm2_wipe(signer, sizeof *signer); }

/* k from 32 big-endian bytes; 0 unless k is in [1, n-1]. */
static int sm2_nonce_from_bytes(u256 k, const uint8_t k_bytes[32]) {
    u256_from_be(k, k_bytes);
    return !u256_is_zero(k) && u256_lt(k, SM2_N);
}

/* Offline/online signing: a nonce k and the x coordinate of kG, computed before
 * the message is known (GmSSL keeps the same pair, SM2_SIGN_PRE_COMP). The scalar
 * multiplication is nearly all of a signature's cost; what is left once the
 * message is known is a digest and a few multiplications mod n. */
typedef struct {
    u256 k;
    u256 x1;  /* x(kG) mod n */
} sm2_presig;

/* The seed of a prepared nonce: fresh random bytes and what makes it unique. */
#define SM2_PRESIG_SEED 48

static void sm2_presig_wipe(sm2_presig *p) { sm2_wipe(p, sizeof *p); }

/* k in [1, n-1] and x(kG) mod n. */
static void sm2_presig_from_k(sm2_presig *p, const u256 k) {
    jpoint kg;
    apoint affine;
    sm2_mul_g_ct(&kg, k);
    jp_to_affine(&affine, &kg);
    fe_from_mont(p->x1, affine.x);
    sc_reduce(p->x1, p->x1);
    memcpy(p->k, k, sizeof p->k);
}

/* The next nonce derived from `input`, whose last 4 bytes hold a big-endian counter:
 * k = HMAC-SM3(d, input), the counter stepping from *counter until a candidate falls
 * in [1, n-1] (rejections reveal nothing about the accepted k); *counter is left at
 * the step after k's, where the next call goes on. */
static void sm2_hmac_nonce(u256 k, const sm2_signer *signer, uint8_t *input, size_t len,
                           uint32_t *counter) {
    uint8_t candidate[32];
    for (;; (*counter)++) {
        for (int i = 0; i < 4; i++) input[len - 4 + i] = (uint8_t)(*counter >> (24 - 8 * i));
        hmac_sm3_keyed(&signer->nonce_inner, &signer->nonce_outer, input, len, candidate);
        u256_from_be(k, candidate);
        if (!u256_is_zero(k) && u256_lt(k, SM2_N)) break;
    }
    (*counter)++;
    memset(candidate, 0, sizeof candidate);
}

/* Prepared nonces, one for each of count seeds (SM2_PRESIG_SEED bytes each):
 * k = HMAC-SM3(d, seed || counter). The caller never repeats a seed for one key
 * (each holds random bytes and a count of the nonces made), so a broken random
 * source still gives distinct nonces. The input is 52 bytes, the hedged nonce's
 * 68: the two derivations never share an input. The points kG of each chunk are
 * made affine with one inversion between them (Montgomery's trick), which costs
 * about a third of a lone nonce's time. */
#define SM2_PRESIGN_CHUNK 64

static void sm2_presign_many(sm2_presig *out, const sm2_signer *signer,
                             const uint8_t *seeds, size_t count) {
    uint8_t input[SM2_PRESIG_SEED + 4];
    jpoint kg[SM2_PRESIGN_CHUNK];
    apoint affine[SM2_PRESIGN_CHUNK];
    u256 scratch[SM2_PRESIGN_CHUNK];
    for (size_t start = 0; start < count; start += SM2_PRESIGN_CHUNK) {
        size_t chunk = count - start < SM2_PRESIGN_CHUNK ? count - start : SM2_PRESIGN_CHUNK;
        for (size_t i = 0; i < chunk; i++) {
            uint32_t counter = 0;
            memcpy(input, seeds + (start + i) * SM2_PRESIG_SEED, SM2_PRESIG_SEED);
            sm2_hmac_nonce(out[start + i].k, signer, input, sizeof input, &counter);
            sm2_mul_g_ct(&kg[i], out[start + i].k);
        }
        jp_batch_to_affine(affine, kg, chunk, scratch);
        for (size_t i = 0; i < chunk; i++) {
            fe_from_mont(out[start + i].x1, affine[i].x);
            sc_reduce(out[start + i].x1, out[start + i].x1);
        }
    }
    sm2_wipe(input, sizeof input);
    sm2_wipe(kg, sizeof kg);
    sm2_wipe(affine, sizeof affine);
    sm2_wipe(scratch, sizeof scratch);
}

/* Signs digest e with a prepared nonce (used once, whatever the result); 0 if
 * this nonce must be rejected (r = 0, r + k = n or s = 0). */
static int sm2_sign_presigned(uint8_t out[64], const sm2_signer *signer, const u256 e,
                              const sm2_presig *p) {
    u256 r, s, t, rk;
    sc_add(r, e, p->x1);
    sc_add(rk, r, p->k);
    if (u256_is_zero(r) | u256_is_zero(rk)) return 0;
    sc_mul(t, r, signer->d);
    sc_sub(t, p->k, t);
    sc_mul(s, signer->d1_inverse, t);
    if (u256_is_zero(s)) return 0;
    u256_to_be(out, r);
    u256_to_be(out + 32, s);
    return 1;
}

/* Signs digest e with nonce k in [1, n-1]; 0 if this k must be rejected
 * (r = 0, r + k = n or s = 0). */
static int sm2_sign_with_k(uint8_t out[64], const sm2_signer *signer, const u256 e,
                           const u256 k) {
    sm2_presig p;
    sm2_presig_from_k(&p, k);
    int ok = sm2_sign_presigned(out, signer, e, &p);
    sm2_presig_wipe(&p);
    return ok;
}

/* e = SM3(Z_A || msg) reduced mod n. */
static void sm2_message_digest(u256 e, const sm2_signer *signer, const uint8_t *uid,
                               size_t uid_len, const uint8_t *msg, size_t msg_len) {
    uint8_t za[32], digest[32];
    sm3_ctx ctx;
    if (uid_len == sizeof SM2_DEFAULT_UID && memcmp(uid, SM2_DEFAULT_UID, uid_len) == 0)
        memcpy(za, signer->za_default, 32);
    else
        sm2_za(za, uid, uid_len, signer->xy);
    sm3_init(&ctx);
    sm3_update(&ctx, za, 32);
    sm3_update(&ctx, msg, msg_len);
    sm3_final(&ctx, digest);
    u256_from_be(e, digest);
    sc_reduce(e, e);
}

/* Hedged signature; random holds 32 bytes from the OS. Always succeeds (each
 * retry has probability about 2^-32 or far less). */
static void sm2_sign_hedged(uint8_t out[64], const sm2_signer *signer, const u256 e,
                            const uint8_t random[32]) {
    uint8_t seed[68];
    uint32_t counter = 0;
    u256 k;
    u256_to_be(seed, e);
    memcpy(seed + 32, random, 32);
    do sm2_hmac_nonce(k, signer, seed, sizeof seed, &counter);
    while (!sm2_sign_with_k(out, signer, e, k));
    memset(k, 0, sizeof k);
}

#endif
