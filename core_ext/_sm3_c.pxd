# C-level interface of core_ext/include/eport_sm3.h (SM3), for _sm3.pyx and _sm2.pyx.
from libc.stdint cimport uint8_t


cdef extern from "eport_sm3.h" nogil:
    ctypedef struct sm3_ctx:
        pass
    void sm3_init(sm3_ctx *ctx)
    void sm3_update(sm3_ctx *ctx, const uint8_t *data, size_t length)
    void sm3_final(const sm3_ctx *ctx, uint8_t *out)
    void sm3_digest(const uint8_t *data, size_t length, uint8_t *out)
