/* Strict DER for SM2 signatures: SEQUENCE { INTEGER r, INTEGER s }, r, s < 2^256.
 * The whole encoding is at most 72 bytes, so only short-form lengths are legal;
 * integers must be minimal and non-negative; nothing may follow. Mirrors
 * core_ext/_sig_der_pure.py rule for rule. */
#ifndef SM2_DER_H
#define SM2_DER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SM2_DER_MAX 72

/* Parses one INTEGER at der[*pos]; writes it big-endian into out[32]. */
static int der_read_integer(const uint8_t *der, size_t len, size_t *pos, uint8_t out[32]) {
    size_t at = *pos;
    if (at + 2 > len || der[at] != 0x02) return 0;
    size_t body_len = der[at + 1];
    const uint8_t *body = der + at + 2;
    if (body_len == 0 || body_len > 33 || at + 2 + body_len > len) return 0;
    if (body[0] & 0x80) return 0;                                        /* negative */
    if (body_len > 1 && body[0] == 0 && !(body[1] & 0x80)) return 0;     /* non-minimal */
    if (body_len == 33) {                                                /* 00 + 32 bytes */
        if (body[0] != 0) return 0;
        body++;
        body_len--;
    }
    memset(out, 0, 32 - body_len);
    memcpy(out + 32 - body_len, body, body_len);
    *pos = at + 2 + (size_t)der[at + 1];
    return 1;
}

/* 1 and raw = r||s if der is a strict-DER signature, else 0. */
static int sm2_sig_from_der(const uint8_t *der, size_t len, uint8_t raw[64]) {
    if (len < 2 || der[0] != 0x30 || der[1] >= 0x80 || (size_t)der[1] != len - 2) return 0;
    size_t pos = 2;
    if (!der_read_integer(der, len, &pos, raw)) return 0;
    if (!der_read_integer(der, len, &pos, raw + 32)) return 0;
    return pos == len;
}

static size_t der_write_integer(uint8_t *out, const uint8_t value[32]) {
    size_t skip = 0;
    while (skip < 31 && value[skip] == 0) skip++;
    size_t pad = value[skip] & 0x80 ? 1 : 0;
    size_t body_len = 32 - skip + pad;
    out[0] = 0x02;
    out[1] = (uint8_t)body_len;
    out[2] = 0;
    memcpy(out + 2 + pad, value + skip, 32 - skip);
    return 2 + body_len;
}

/* DER encoding of raw r||s into out (at most SM2_DER_MAX bytes); returns its length. */
static size_t sm2_sig_to_der(const uint8_t raw[64], uint8_t out[SM2_DER_MAX]) {
    size_t len = 2;
    len += der_write_integer(out + len, raw);
    len += der_write_integer(out + len, raw + 32);
    out[0] = 0x30;
    out[1] = (uint8_t)(len - 2);
    return len;
}

#endif
