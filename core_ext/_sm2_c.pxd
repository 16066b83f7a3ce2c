# C-level interface of the SM2 headers in core_ext/include (see the headers for the
# contracts); only what _sm2.pyx touches is declared.
from libc.stdint cimport uint8_t, uint64_t


cdef extern from "sm2_verify.h" nogil:
    ctypedef uint64_t u256[4]
    ctypedef struct sm2_key_table:
        pass
    ctypedef struct sm2_key:
        uint8_t xy[64]
        sm2_key_table *table
    ctypedef struct sm2_job:
        const uint8_t *key_bytes
        size_t key_len
        const sm2_key *key
        const uint8_t *msg
        size_t msg_len
        const uint8_t *sig
        size_t sig_len
        const uint8_t *uid
        size_t uid_len
    enum:
        SM2_MAX_UID
        SM2_DER_MAX
    int sm2_g_table_init()
    int sm2_key_parse(sm2_key *key, const uint8_t *data, size_t length)
    int sm2_key_table_build_for(sm2_key *key)
    int sm2_job_run(const sm2_job *job)
    void sm2_za(uint8_t *out, const uint8_t *uid, size_t uid_len, const uint8_t *xy)
    int sm2_sig_from_der(const uint8_t *der, size_t length, uint8_t *raw)
    size_t sm2_sig_to_der(const uint8_t *raw, uint8_t *out)


cdef extern from "sm2_sign.h" nogil:
    ctypedef struct sm2_signer:
        uint8_t xy[64]
    int sm2_signer_init(sm2_signer *signer, const uint8_t *d)
    void sm2_signer_wipe(sm2_signer *signer)
    void sm2_message_digest(u256 e, const sm2_signer *signer, const uint8_t *uid,
                            size_t uid_len, const uint8_t *msg, size_t msg_len)
    int sm2_nonce_from_bytes(u256 k, const uint8_t *k_bytes)
    int sm2_sign_with_k(uint8_t *out, const sm2_signer *signer, const u256 e, const u256 k)
    void sm2_sign_hedged(uint8_t *out, const sm2_signer *signer, const u256 e,
                         const uint8_t *random)
    ctypedef struct sm2_presig:
        pass
    enum:
        SM2_PRESIG_SEED
    void sm2_presig_wipe(sm2_presig *p)
    void sm2_wipe(void *secret, size_t size)
    void sm2_presign_many(sm2_presig *out, const sm2_signer *signer, const uint8_t *seeds,
                          size_t count)
    int sm2_sign_presigned(uint8_t *out, const sm2_signer *signer, const u256 e,
                           const sm2_presig *p)
