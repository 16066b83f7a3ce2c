"""SM3 (GB/T 32905-2016), compiled: the C core is core_ext/include/eport_sm3.h.

The GIL is released while hashing inputs of at least _NOGIL_BYTES, where the
hashing outweighs the cost of releasing it.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t

from core_ext._sm3_c cimport sm3_ctx, sm3_digest, sm3_final, sm3_init, sm3_update

cdef enum:
    _NOGIL_BYTES = 4096


cdef inline void _absorb(sm3_ctx *ctx, object data) except *:
    cdef Py_buffer view
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        if view.len >= _NOGIL_BYTES:
            with nogil:
                sm3_update(ctx, <const uint8_t *>view.buf, <size_t>view.len)
        else:
            sm3_update(ctx, <const uint8_t *>view.buf, <size_t>view.len)
    finally:
        PyBuffer_Release(&view)


cdef class SM3:
    """Incremental SM3 with a hashlib-style interface."""

    cdef sm3_ctx _ctx
    digest_size = 32
    block_size = 64

    def __init__(self, data=b""):
        sm3_init(&self._ctx)
        _absorb(&self._ctx, data)

    def update(self, data) -> None:
        _absorb(&self._ctx, data)

    def digest(self) -> bytes:
        cdef uint8_t out[32]
        sm3_final(&self._ctx, out)
        return PyBytes_FromStringAndSize(<char *>out, 32)

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> SM3:
        cdef SM3 clone = SM3.__new__(SM3)
        clone._ctx = self._ctx
        return clone


def digest(data) -> bytes:
    """Return the 32-byte SM3 digest of `data` (any contiguous bytes-like object)."""
    cdef Py_buffer view
    cdef uint8_t out[32]
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        if view.len >= _NOGIL_BYTES:
            with nogil:
                sm3_digest(<const uint8_t *>view.buf, <size_t>view.len, out)
        else:
            sm3_digest(<const uint8_t *>view.buf, <size_t>view.len, out)
    finally:
        PyBuffer_Release(&view)
    return PyBytes_FromStringAndSize(<char *>out, 32)
