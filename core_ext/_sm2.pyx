"""SM2 signatures (GB/T 32918), compiled: the C core is core_ext/include/sm2_*.h.

The public API and the reason names are documented in core_ext/sm2.py. Python
objects are handled here; all arithmetic runs in C without the GIL.

Public keys seen by verify are kept in a bounded LRU cache (_CACHE_SIZE keys):
on first sight the validated point and its default-uid Z_A, from the second
sight on also a precomputed table of multiples, which makes verification
about twice as fast. Cache entries are never mutated once published (an upgrade
replaces the entry), so threads running outside the GIL can keep using the one
they hold.

Signing keeps, for the last _SIGNER_CACHE_SIZE private keys used, the public key
and (1 + d)^-1 mod n (wiped from memory on eviction), so a signer pays for
neither on every signature.
"""

import os
from collections import OrderedDict

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp

from core_ext._sm3_c cimport sm3_ctx, sm3_final, sm3_init, sm3_update
from core_ext._sm2_c cimport (
    SM2_DER_MAX,
    SM2_MAX_UID,
    sm2_g_table_init,
    sm2_job,
    sm2_job_run,
    sm2_key,
    sm2_key_parse,
    sm2_key_table_build_for,
    sm2_message_digest,
    sm2_nonce_from_bytes,
    sm2_sig_from_der,
    sm2_sig_to_der,
    sm2_sign_hedged,
    sm2_sign_with_k,
    sm2_signer,
    sm2_signer_init,
    sm2_signer_wipe,
    sm2_za,
    u256,
)

DEFAULT_UID = b"1234567812345678"
_REASONS = (
    None,
    "key_length",
    "key_prefix",
    "key_coordinate_range",
    "key_infinity",
    "key_not_on_curve",
    "uid_length",
    "sig_length",
    "sig_der",
    "sig_range",
    "sig_r_plus_s_zero",
    "sig_mismatch",
)
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_CACHE_SIZE = 4096
_SIGNER_CACHE_SIZE = 64

if not sm2_g_table_init():
    raise MemoryError("cannot allocate the SM2 base-point table")


cdef class _Key:
    """A validated public key (and, once upgraded, its table): one cache value."""

    cdef sm2_key key
    cdef int sightings


cdef object _cache = OrderedDict()


cdef _Key _upgraded(_Key entry, bytes xy):
    cdef _Key table_key = _Key.__new__(_Key)
    table_key.key = entry.key
    table_key.sightings = entry.sightings
    with nogil:
        sm2_key_table_build_for(&table_key.key)
    _cache[xy] = table_key
    return table_key


cdef _Key _cached_key(const uint8_t *data, Py_ssize_t length):
    """The cache entry for an encoded public key, or None if the key is invalid."""
    cdef const uint8_t *xy = data
    if length == 65 and data[0] == 4:
        xy = data + 1
    elif length != 64:
        return None
    cdef bytes xy_bytes = PyBytes_FromStringAndSize(<const char *>xy, 64)
    cdef _Key entry = _cache.get(xy_bytes)
    if entry is not None:
        _cache.move_to_end(xy_bytes)
        entry.sightings += 1
        if not entry.key.has_table:
            entry = _upgraded(entry, xy_bytes)
        return entry
    entry = _Key.__new__(_Key)
    if sm2_key_parse(&entry.key, data, <size_t>length) != 0:
        return None
    entry.sightings = 1
    _cache[xy_bytes] = entry
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return entry


cdef inline bint _is_default_uid(const Py_buffer *uid):
    return uid.len == 16 and memcmp(uid.buf, b"1234567812345678", 16) == 0


cdef object _job_keep(sm2_job *job, Py_buffer *views):
    """Fill job from the 4 acquired views (key, message, signature, uid); returns the
    cache entry the job points into, which the caller keeps alive while it runs."""
    cdef _Key entry = _cached_key(<const uint8_t *>views[0].buf, views[0].len)
    job.key_bytes = <const uint8_t *>views[0].buf
    job.key_len = <size_t>views[0].len
    job.key = &entry.key if entry is not None else NULL
    job.msg = <const uint8_t *>views[1].buf
    job.msg_len = <size_t>views[1].len
    job.sig = <const uint8_t *>views[2].buf
    job.sig_len = <size_t>views[2].len
    if views[3].buf == NULL or _is_default_uid(&views[3]):
        job.uid = NULL
        job.uid_len = 0
    else:
        job.uid = <const uint8_t *>views[3].buf
        job.uid_len = <size_t>views[3].len
    return entry


cdef int _acquire(Py_buffer *views, tuple objects) except -1:
    """Acquire one buffer per object; on failure release those already taken."""
    cdef Py_ssize_t i, j
    for i in range(len(objects)):
        try:
            PyObject_GetBuffer(objects[i], &views[i], PyBUF_SIMPLE)
        except BaseException:
            for j in range(i):
                PyBuffer_Release(&views[j])
            raise
    return 0


def verify_reason(public_key, message, signature, *, uid=DEFAULT_UID):
    """None if `signature` is a valid SM2 signature of `message`, else the reason name."""
    cdef Py_buffer views[4]
    cdef sm2_job job
    cdef int reason
    _acquire(views, (public_key, message, signature, uid))
    try:
        keep = _job_keep(&job, views)
        with nogil:
            reason = sm2_job_run(&job)
    finally:
        for i in range(4):
            PyBuffer_Release(&views[i])
    return _REASONS[reason]


def verify(public_key, message, signature, *, uid=DEFAULT_UID):
    """True only for a valid signature; never raises on bad bytes."""
    return verify_reason(public_key, message, signature, uid=uid) is None


def verify_batch(items):
    """verify() over (public_key, message, signature) tuples with the default uid; the
    arithmetic for the whole batch runs without the GIL."""
    cdef list batch = list(items)
    cdef Py_ssize_t count = len(batch), acquired = 0, i
    cdef Py_buffer *views = <Py_buffer *>malloc(max(count, 1) * 4 * sizeof(Py_buffer))
    cdef sm2_job *jobs = <sm2_job *>malloc(max(count, 1) * sizeof(sm2_job))
    cdef int *reasons = <int *>malloc(max(count, 1) * sizeof(int))
    cdef list keep = []
    if views == NULL or jobs == NULL or reasons == NULL:
        free(views); free(jobs); free(reasons)
        raise MemoryError()
    try:
        for i in range(count):
            public_key, message, signature = batch[i]
            _acquire(&views[4 * i], (public_key, message, signature))
            views[4 * i + 3].buf = NULL
            acquired += 1
            keep.append(_job_keep(&jobs[i], &views[4 * i]))
        with nogil:
            for i in range(count):
                reasons[i] = sm2_job_run(&jobs[i])
        return [reasons[i] == 0 for i in range(count)]
    finally:
        for i in range(acquired):
            PyBuffer_Release(&views[4 * i])
            PyBuffer_Release(&views[4 * i + 1])
            PyBuffer_Release(&views[4 * i + 2])
        free(views); free(jobs); free(reasons)


cdef class _Signer:
    """What signing precomputes for one private key; wiped when dropped."""

    cdef sm2_signer signer

    def __dealloc__(self):
        sm2_signer_wipe(&self.signer)


cdef object _signers = OrderedDict()


cdef _Signer _signer_for(private_key):
    """The cached signer of a private key (ValueError if the key is invalid). The cache
    is keyed by an SM3 digest of the key, so lookups never compare the secret itself."""
    cdef Py_buffer view
    cdef sm3_ctx ctx
    cdef uint8_t tag[32]
    cdef _Signer entry
    PyObject_GetBuffer(private_key, &view, PyBUF_SIMPLE)
    try:
        if view.len != 32:
            raise ValueError("an SM2 private key is 32 bytes, big-endian, in [1, n-2]")
        sm3_init(&ctx)
        sm3_update(&ctx, <const uint8_t *>b"eport signer cache", 18)
        sm3_update(&ctx, <const uint8_t *>view.buf, 32)
        sm3_final(&ctx, tag)
        key = PyBytes_FromStringAndSize(<char *>tag, 32)
        entry = _signers.get(key)
        if entry is not None:
            _signers.move_to_end(key)
            return entry
        entry = _Signer.__new__(_Signer)
        if not sm2_signer_init(&entry.signer, <const uint8_t *>view.buf):
            raise ValueError("an SM2 private key is 32 bytes, big-endian, in [1, n-2]")
    finally:
        PyBuffer_Release(&view)
    _signers[key] = entry
    if len(_signers) > _SIGNER_CACHE_SIZE:
        _signers.popitem(last=False)
    return entry


cdef int _digest(u256 e, const sm2_signer *signer, message, uid) except -1:
    cdef Py_buffer views[2]
    _acquire(views, (message, uid))
    try:
        if views[1].len > SM2_MAX_UID:
            raise ValueError("uid longer than 8191 bytes")
        sm2_message_digest(e, signer, <const uint8_t *>views[1].buf, <size_t>views[1].len,
                           <const uint8_t *>views[0].buf, <size_t>views[0].len)
    finally:
        PyBuffer_Release(&views[0])
        PyBuffer_Release(&views[1])
    return 0


def sign(private_key, message, *, uid=DEFAULT_UID):
    """Sign `message` with a hedged random nonce; returns the 64-byte raw r||s."""
    cdef _Signer entry = _signer_for(private_key)
    cdef u256 e
    cdef uint8_t out[64]
    cdef bytes random = os.urandom(32)
    cdef const uint8_t *random_bytes = random
    _digest(e, &entry.signer, message, uid)
    with nogil:
        sm2_sign_hedged(out, &entry.signer, e, random_bytes)
    return PyBytes_FromStringAndSize(<char *>out, 64)


def _sign_with_nonce_for_tests(private_key, message, k, *, uid=DEFAULT_UID):
    """Deterministic signing with a caller-chosen nonce: only for known-answer tests."""
    cdef _Signer entry = _signer_for(private_key)
    cdef u256 e, nonce
    cdef uint8_t out[64]
    cdef const uint8_t[::1] k_view = k
    _digest(e, &entry.signer, message, uid)
    if k_view.shape[0] != 32 or not sm2_nonce_from_bytes(nonce, &k_view[0]):
        raise ValueError("k must be 32 bytes in [1, n-1]")
    if not sm2_sign_with_k(out, &entry.signer, e, nonce):
        raise ValueError("this k gives r = 0, r + k = n or s = 0")
    return PyBytes_FromStringAndSize(<char *>out, 64)


def public_key(private_key):
    """The 65-byte uncompressed public key 04||X||Y of `private_key`."""
    cdef _Signer entry = _signer_for(private_key)
    return b"\x04" + PyBytes_FromStringAndSize(<char *>entry.signer.xy, 64)


def generate_private_key():
    """A fresh private key from os.urandom, uniform in [1, n-2]."""
    while True:
        candidate = os.urandom(32)
        if 1 <= int.from_bytes(candidate, "big") <= _N - 2:
            return candidate


def za(public_key, uid=DEFAULT_UID):
    """Z_A = SM3(ENTL || uid || a || b || xG || yG || xA || yA); ValueError on a bad key."""
    cdef Py_buffer views[2]
    cdef sm2_key key
    cdef uint8_t out[32]
    cdef int reason
    _acquire(views, (public_key, uid))
    try:
        reason = sm2_key_parse(&key, <const uint8_t *>views[0].buf, <size_t>views[0].len)
        if reason:
            raise ValueError(f"invalid SM2 public key: {_REASONS[reason]}")
        if views[1].len > SM2_MAX_UID:
            raise ValueError("uid longer than 8191 bytes")
        sm2_za(out, <const uint8_t *>views[1].buf, <size_t>views[1].len, key.xy)
    finally:
        PyBuffer_Release(&views[0])
        PyBuffer_Release(&views[1])
    return PyBytes_FromStringAndSize(<char *>out, 32)


def sig_to_der(raw):
    """DER-encode a raw 64-byte r||s signature."""
    cdef const uint8_t[::1] view = raw
    cdef uint8_t out[SM2_DER_MAX]
    if view.shape[0] != 64:
        raise ValueError("a raw SM2 signature is exactly 64 bytes")
    return PyBytes_FromStringAndSize(<char *>out, <Py_ssize_t>sm2_sig_to_der(&view[0], out))


def sig_from_der(der):
    """Parse a strict-DER signature into raw 64-byte r||s; ValueError if not strict DER."""
    cdef const uint8_t[::1] view = der
    cdef uint8_t raw[64]
    if view.shape[0] > SM2_DER_MAX or view.shape[0] == 0 or not sm2_sig_from_der(&view[0], <size_t>view.shape[0], raw):
        raise ValueError("not a strict-DER SM2 signature")
    return PyBytes_FromStringAndSize(<char *>raw, 64)
