/* SM3 (GB/T 32905-2016) with the 64 rounds unrolled, and HMAC-SM3 (RFC 2104). */
#ifndef EPORT_SM3_H
#define EPORT_SM3_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint32_t state[8];
    uint64_t length;     /* bytes absorbed so far */
    uint8_t buffer[64];  /* the partial block: length % 64 bytes */
} sm3_ctx;

#define SM3_ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define SM3_P0(x) ((x) ^ SM3_ROTL((x), 9) ^ SM3_ROTL((x), 17))
#define SM3_P1(x) ((x) ^ SM3_ROTL((x), 15) ^ SM3_ROTL((x), 23))
#define SM3_FF0(x, y, z) ((x) ^ (y) ^ (z))
#define SM3_FF1(x, y, z) (((x) & (y)) | (((x) | (y)) & (z)))
#define SM3_GG1(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))

/* T_j rotated left by j mod 32, as the round function uses it */
static const uint32_t SM3_K[64] = {
    0x79cc4519, 0xf3988a32, 0xe7311465, 0xce6228cb, 0x9cc45197, 0x3988a32f, 0x7311465e, 0xe6228cbc,
    0xcc451979, 0x988a32f3, 0x311465e7, 0x6228cbce, 0xc451979c, 0x88a32f39, 0x11465e73, 0x228cbce6,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
    0x7a879d8a, 0xf50f3b14, 0xea1e7629, 0xd43cec53, 0xa879d8a7, 0x50f3b14f, 0xa1e7629e, 0x43cec53d,
    0x879d8a7a, 0x0f3b14f5, 0x1e7629ea, 0x3cec53d4, 0x79d8a7a8, 0xf3b14f50, 0xe7629ea1, 0xcec53d43,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
};

/* One round, renaming registers instead of moving them: the caller rotates
 * the argument order, so new A lands in D's slot and new E in H's. The message
 * words live in a ring of 16: W[j + 4] is expanded just before round j reads it,
 * into the slot of W[j - 12], which no later round or expansion reads. */
#define SM3_W(j) w[(j) & 15]
#define SM3_EXPAND(k)                                                                 \
    (SM3_W(k) = SM3_P1(SM3_W((k) - 16) ^ SM3_W((k) - 9) ^ SM3_ROTL(SM3_W((k) - 3), 15)) \
                ^ SM3_ROTL(SM3_W((k) - 13), 7) ^ SM3_W((k) - 6))
#define SM3_ROUND(A, B, C, D, E, F, G, H, j, FF, GG)                        \
    do {                                                                  \
        if ((j) + 4 >= 16) SM3_EXPAND((j) + 4);                           \
        uint32_t a12 = SM3_ROTL(A, 12);                                   \
        uint32_t ss1 = SM3_ROTL(a12 + E + SM3_K[j], 7);                   \
        uint32_t tt1 = FF(A, B, C) + D + (ss1 ^ a12) + (SM3_W(j) ^ SM3_W((j) + 4)); \
        uint32_t tt2 = GG(E, F, G) + H + ss1 + SM3_W(j);                  \
        B = SM3_ROTL(B, 9);                                               \
        F = SM3_ROTL(F, 19);                                              \
        D = tt1;                                                          \
        H = SM3_P0(tt2);                                                  \
    } while (0)

#define SM3_ROUND4(j, FF, GG)                                 \
    SM3_ROUND(a, b, c, d, e, f, g, h, (j), FF, GG);           \
    SM3_ROUND(d, a, b, c, h, e, f, g, (j) + 1, FF, GG);       \
    SM3_ROUND(c, d, a, b, g, h, e, f, (j) + 2, FF, GG);       \
    SM3_ROUND(b, c, d, a, f, g, h, e, (j) + 3, FF, GG)

static void sm3_compress(uint32_t state[8], const uint8_t *block, size_t blocks) {
    uint32_t w[16];
    for (; blocks > 0; blocks--, block += 64) {
        for (int j = 0; j < 16; j++)
            w[j] = (uint32_t)block[4 * j] << 24 | (uint32_t)block[4 * j + 1] << 16 |
                   (uint32_t)block[4 * j + 2] << 8 | block[4 * j + 3];
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        SM3_ROUND4(0, SM3_FF0, SM3_FF0);
        SM3_ROUND4(4, SM3_FF0, SM3_FF0);
        SM3_ROUND4(8, SM3_FF0, SM3_FF0);
        SM3_ROUND4(12, SM3_FF0, SM3_FF0);
        SM3_ROUND4(16, SM3_FF1, SM3_GG1);
        SM3_ROUND4(20, SM3_FF1, SM3_GG1);
        SM3_ROUND4(24, SM3_FF1, SM3_GG1);
        SM3_ROUND4(28, SM3_FF1, SM3_GG1);
        SM3_ROUND4(32, SM3_FF1, SM3_GG1);
        SM3_ROUND4(36, SM3_FF1, SM3_GG1);
        SM3_ROUND4(40, SM3_FF1, SM3_GG1);
        SM3_ROUND4(44, SM3_FF1, SM3_GG1);
        SM3_ROUND4(48, SM3_FF1, SM3_GG1);
        SM3_ROUND4(52, SM3_FF1, SM3_GG1);
        SM3_ROUND4(56, SM3_FF1, SM3_GG1);
        SM3_ROUND4(60, SM3_FF1, SM3_GG1);
        state[0] ^= a; state[1] ^= b; state[2] ^= c; state[3] ^= d;
        state[4] ^= e; state[5] ^= f; state[6] ^= g; state[7] ^= h;
    }
}

static inline void sm3_init(sm3_ctx *ctx) {
    static const uint32_t iv[8] = {0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
                                   0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e};
    memcpy(ctx->state, iv, sizeof iv);
    ctx->length = 0;
}

static void sm3_update(sm3_ctx *ctx, const uint8_t *data, size_t len) {
    size_t used = (size_t)(ctx->length % 64);
    ctx->length += len;
    if (used) {
        size_t take = 64 - used < len ? 64 - used : len;
        memcpy(ctx->buffer + used, data, take);
        data += take;
        len -= take;
        if (used + take < 64) return;
        sm3_compress(ctx->state, ctx->buffer, 1);
    }
    sm3_compress(ctx->state, data, len / 64);
    memcpy(ctx->buffer, data + len - len % 64, len % 64);
}

/* Writes the digest; ctx itself is left untouched (so it can keep absorbing). */
static void sm3_final(const sm3_ctx *ctx, uint8_t out[32]) {
    sm3_ctx tail = *ctx;
    uint64_t bits = ctx->length * 8;
    uint8_t pad[72] = {0x80};
    size_t pad_len = (size_t)((55 - ctx->length % 64) % 64) + 1;
    for (int i = 0; i < 8; i++) pad[pad_len + i] = (uint8_t)(bits >> (56 - 8 * i));
    sm3_update(&tail, pad, pad_len + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(tail.state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(tail.state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(tail.state[i] >> 8);
        out[4 * i + 3] = (uint8_t)tail.state[i];
    }
}

static inline void sm3_digest(const uint8_t *data, size_t len, uint8_t out[32]) {
    sm3_ctx ctx;
    sm3_init(&ctx);
    sm3_update(&ctx, data, len);
    sm3_final(&ctx, out);
}

/* HMAC-SM3 keyed with at most 64 bytes (our keys are 32-byte scalars): the states
 * after the ipad and opad blocks, so each message costs only its own blocks. Both
 * states are as secret as the key. */
static inline void hmac_sm3_key(sm3_ctx *inner, sm3_ctx *outer, const uint8_t *key,
                                size_t key_len) {
    uint8_t pad[64];
    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < key_len; i++) pad[i] ^= key[i];
    sm3_init(inner);
    sm3_update(inner, pad, 64);
    for (size_t i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
    sm3_init(outer);
    sm3_update(outer, pad, 64);
    memset(pad, 0, sizeof pad); /* the padded key is secret */
}

static inline void hmac_sm3_keyed(const sm3_ctx *inner, const sm3_ctx *outer, const uint8_t *msg,
                                  size_t msg_len, uint8_t out[32]) {
    uint8_t digest[32];
    sm3_ctx ctx = *inner;
    sm3_update(&ctx, msg, msg_len);
    sm3_final(&ctx, digest);
    ctx = *outer;
    sm3_update(&ctx, digest, 32);
    sm3_final(&ctx, out);
    memset(digest, 0, sizeof digest);
    memset(&ctx, 0, sizeof ctx);
}

#endif
