"""SM2 signatures (GB/T 32918), compiled: the C core is core_ext/include/sm2_*.h.

The public API and the reason names are documented in core_ext/sm2.py. Python
objects are handled here; all arithmetic runs in C without the GIL.

Public keys seen by verify are kept in a bounded LRU cache (_CACHE_SIZE keys):
on first sight the validated point and its default-uid Z_A, from the second
sight on also a precomputed table of multiples, which makes verification
about twice as fast. Cache entries are never mutated once published (an upgrade
replaces the entry), so threads running outside the GIL can keep using the one
they hold.

Signing keeps, for the last _SIGNER_CACHE_SIZE private keys used, the public key,
(1 + d)^-1 mod n, the default-uid Z_A and the nonce's HMAC key blocks (wiped from
memory on eviction), so a signer pays for none of them on every signature.
"""

import os
import time
from collections import OrderedDict

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcmp, memcpy

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
    SM2_PRESIG_SEED,
    sm2_nonce_from_bytes,
    sm2_presig,
    sm2_presig_wipe,
    sm2_presign_many,
    sm2_sign_presigned,
    sm2_sig_from_der,
    sm2_sig_to_der,
    sm2_sign_hedged,
    sm2_sign_with_k,
    sm2_signer,
    sm2_signer_init,
    sm2_signer_wipe,
    sm2_wipe,
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
    """A validated public key (and, from its second sighting, its table): a cache value."""

    cdef sm2_key key

    def __dealloc__(self):
        free(self.key.table)


cdef object _cache = OrderedDict()


cdef inline void _remember(object cache, bytes name, object entry, Py_ssize_t size):
    cache[name] = entry
    if len(cache) > size:
        cache.popitem(last=False)


cdef _Key _with_table(_Key entry, bytes xy):
    """A copy of entry with its table built (without the GIL), replacing it in the cache."""
    cdef _Key upgraded = _Key.__new__(_Key)
    cdef int built
    upgraded.key = entry.key
    upgraded.key.table = NULL
    with nogil:
        built = sm2_key_table_build_for(&upgraded.key)
    if not built:
        raise MemoryError("cannot allocate an SM2 key table")
    _remember(_cache, xy, upgraded, _CACHE_SIZE)
    return upgraded


cdef _Key _cached_key(const uint8_t *data, Py_ssize_t length):
    """The cache entry for an encoded public key, or None if the key is invalid."""
    cdef const uint8_t *xy = data
    if length == 65 and data[0] == 4:
        xy = data + 1
    elif length != 64:
        return None
    cdef bytes name = PyBytes_FromStringAndSize(<const char *>xy, 64)
    cdef _Key entry = _cache.get(name)
    if entry is not None:
        _cache.move_to_end(name)
        return _with_table(entry, name) if entry.key.table == NULL else entry
    entry = _Key.__new__(_Key)
    if sm2_key_parse(&entry.key, data, <size_t>length) != 0:
        return None
    _remember(_cache, name, entry, _CACHE_SIZE)
    return entry


cdef int _acquire(Py_buffer *views, tuple objects) except -1:
    """One buffer per object (TypeError for non-buffers); all or nothing."""
    cdef Py_ssize_t i, j
    for i in range(len(objects)):
        try:
            PyObject_GetBuffer(objects[i], &views[i], PyBUF_SIMPLE)
        except BaseException:
            for j in range(i):
                PyBuffer_Release(&views[j])
            raise
    return 0


cdef _Key _prepare(sm2_job *job, Py_buffer *views, const Py_buffer *uid):
    """Fill job from the views of key, message and signature (uid: NULL or the default
    means the default uid). Returns the cache entry job points into: the caller holds
    it while the job runs."""
    cdef _Key entry = _cached_key(<const uint8_t *>views[0].buf, views[0].len)
    job.key_bytes, job.key_len = <const uint8_t *>views[0].buf, <size_t>views[0].len
    job.key = &entry.key if entry is not None else NULL
    job.msg, job.msg_len = <const uint8_t *>views[1].buf, <size_t>views[1].len
    job.sig, job.sig_len = <const uint8_t *>views[2].buf, <size_t>views[2].len
    job.uid, job.uid_len = NULL, 0
    if uid != NULL and not (uid.len == 16 and memcmp(uid.buf, b"1234567812345678", 16) == 0):
        job.uid, job.uid_len = <const uint8_t *>uid.buf, <size_t>uid.len
    return entry


def verify_reason(public_key, message, signature, *, uid=DEFAULT_UID):
    """None if `signature` is a valid SM2 signature of `message`, else the reason name."""
    cdef Py_buffer views[4]
    cdef sm2_job job
    cdef int reason
    _acquire(views, (public_key, message, signature, uid))
    try:
        held = _prepare(&job, views, &views[3])  # keeps the cache entry alive without the GIL
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
    cdef list batch = list(items), entries = []
    cdef Py_ssize_t count = len(batch), acquired = 0, i
    cdef Py_buffer *views = <Py_buffer *>calloc(count * 3 + 1, sizeof(Py_buffer))
    cdef sm2_job *jobs = <sm2_job *>calloc(count + 1, sizeof(sm2_job))
    cdef int *reasons = <int *>calloc(count + 1, sizeof(int))
    try:
        if views == NULL or jobs == NULL or reasons == NULL:
            raise MemoryError()
        for i in range(count):
            public_key, message, signature = batch[i]
            _acquire(&views[3 * i], (public_key, message, signature))
            acquired += 1
            entries.append(_prepare(&jobs[i], &views[3 * i], NULL))
        with nogil:
            for i in range(count):
                reasons[i] = sm2_job_run(&jobs[i])
        return [reasons[i] == 0 for i in range(count)]
    finally:
        for i in range(3 * acquired):
            PyBuffer_Release(&views[i])
        free(views)
        free(jobs)
        free(reasons)


cdef class _Signer:
    """What signing precomputes for one private key; wiped when dropped."""

    cdef sm2_signer signer

    def __dealloc__(self):
        sm2_signer_wipe(&self.signer)


cdef object _signers = OrderedDict()
_BAD_PRIVATE_KEY = "an SM2 private key is 32 bytes, big-endian, in [1, n-2]"


cdef const uint8_t[::1] _view(object data) except *:
    """A typed view of bytes-like data; unlike a plain typed argument, refuses None."""
    if data is None:
        raise TypeError("a bytes-like object is required, not 'NoneType'")
    return data


cdef _Signer _signer_for(object private_key_object):
    """The cached signer of a private key (ValueError if invalid). The cache is keyed
    by an SM3 digest of the key, so lookups never compare the secret itself."""
    cdef const uint8_t[::1] private_key = _view(private_key_object)
    cdef sm3_ctx ctx
    cdef uint8_t tag[32]
    if private_key.shape[0] != 32:
        raise ValueError(_BAD_PRIVATE_KEY)
    sm3_init(&ctx)
    sm3_update(&ctx, <const uint8_t *>b"eport signer cache", 18)
    sm3_update(&ctx, &private_key[0], 32)
    sm3_final(&ctx, tag)
    cdef bytes name = PyBytes_FromStringAndSize(<char *>tag, 32)
    cdef _Signer entry = _signers.get(name)
    if entry is not None:
        _signers.move_to_end(name)
        return entry
    entry = _Signer.__new__(_Signer)
    if not sm2_signer_init(&entry.signer, &private_key[0]):
        raise ValueError(_BAD_PRIVATE_KEY)
    _remember(_signers, name, entry, _SIGNER_CACHE_SIZE)
    return entry


cdef inline const uint8_t *_start(const uint8_t[::1] view):
    return &view[0] if view.shape[0] else <const uint8_t *>b""


cdef int _digest(u256 e, const sm2_signer *signer, object message_object,
                 object uid_object) except -1:
    cdef const uint8_t[::1] message = _view(message_object), uid = _view(uid_object)
    if uid.shape[0] > SM2_MAX_UID:
        raise ValueError("uid longer than 8191 bytes")
    sm2_message_digest(e, signer, _start(uid), <size_t>uid.shape[0], _start(message),
                       <size_t>message.shape[0])
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


cdef class Presigner:
    """Signs with one private key from nonces prepared ahead of the messages
    (offline/online signing). prepare() makes nonces and their points, the scalar
    multiplications that are nearly all of a signature's cost, without the GIL and
    on any thread; sign_many() then costs a digest and a few multiplications mod n
    per message. Each prepared nonce signs once and is wiped; with none left,
    sign_many() signs as sign() does. Holds at most `capacity` nonces."""

    cdef _Signer entry
    cdef sm2_presig *pool
    cdef readonly Py_ssize_t capacity
    cdef readonly Py_ssize_t available
    cdef unsigned long long made  # nonces made so far: part of every seed

    def __cinit__(self, private_key, Py_ssize_t capacity):
        if capacity < 0:
            raise ValueError("capacity must not be negative")
        self.entry = _signer_for(private_key)
        self.pool = <sm2_presig *>calloc(capacity + 1, sizeof(sm2_presig))
        if self.pool == NULL:
            raise MemoryError()
        self.capacity = capacity

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.pool != NULL:
            for i in range(self.capacity):
                sm2_presig_wipe(&self.pool[i])
            free(self.pool)

    def prepare(self, Py_ssize_t count):
        """Make up to `count` nonces, as many as there is room for; return how many
        were kept."""
        count = max(0, min(count, self.capacity - self.available))
        cdef unsigned long long first = self.made
        self.made += <unsigned long long>count
        cdef bytes random = os.urandom(32 * count)
        cdef const uint8_t *random_bytes = random
        cdef unsigned long long moment = <unsigned long long>time.time_ns()
        cdef sm2_presig *made = <sm2_presig *>calloc(count + 1, sizeof(sm2_presig))
        cdef uint8_t *seeds = <uint8_t *>calloc(count + 1, SM2_PRESIG_SEED)
        cdef uint8_t *seed
        cdef Py_ssize_t i, kept
        if made == NULL or seeds == NULL:
            free(made)
            free(seeds)
            raise MemoryError()
        try:
            with nogil:
                for i in range(count):
                    seed = &seeds[SM2_PRESIG_SEED * i]
                    memcpy(seed, &random_bytes[32 * i], 32)
                    _put_u64(&seed[32], first + <unsigned long long>i)
                    _put_u64(&seed[40], moment)
                sm2_presign_many(made, &self.entry.signer, seeds, count)
            # Another thread may have filled the pool meanwhile: keep what fits.
            kept = min(count, self.capacity - self.available)
            memcpy(&self.pool[self.available], made, kept * sizeof(sm2_presig))
            self.available += kept
            return kept
        finally:
            for i in range(count):
                sm2_presig_wipe(&made[i])
            sm2_wipe(seeds, SM2_PRESIG_SEED * count)
            free(made)
            free(seeds)

    def sign_many(self, messages, *, uid=DEFAULT_UID):
        """sign() over each of `messages`, each with a prepared nonce while any is left."""
        cdef const uint8_t[::1] uid_view = _view(uid)
        cdef list batch = list(messages)
        cdef Py_ssize_t count = len(batch), acquired = 0, i
        if uid_view.shape[0] > SM2_MAX_UID:
            raise ValueError("uid longer than 8191 bytes")
        cdef const uint8_t *uid_bytes = _start(uid_view)
        cdef size_t uid_len = <size_t>uid_view.shape[0]
        cdef bytes random = os.urandom(32 * count)
        cdef const uint8_t *random_bytes = random
        cdef Py_buffer *views = <Py_buffer *>calloc(count + 1, sizeof(Py_buffer))
        cdef uint8_t *out = <uint8_t *>calloc(count + 1, 64)
        cdef sm2_presig *taken = <sm2_presig *>calloc(count + 1, sizeof(sm2_presig))
        cdef Py_ssize_t prepared = 0
        cdef const sm2_signer *signer = &self.entry.signer
        cdef u256 e
        try:
            if views == NULL or out == NULL or taken == NULL:
                raise MemoryError()
            for i in range(count):
                PyObject_GetBuffer(batch[i], &views[i], PyBUF_SIMPLE)
                acquired += 1
            # Taken out of the pool before the GIL is let go: no nonce signs twice.
            prepared = min(count, self.available)
            self.available -= prepared
            memcpy(taken, &self.pool[self.available], prepared * sizeof(sm2_presig))
            for i in range(prepared):
                sm2_presig_wipe(&self.pool[self.available + i])
            with nogil:
                for i in range(count):
                    sm2_message_digest(e, signer, uid_bytes, uid_len,
                                       <const uint8_t *>views[i].buf, <size_t>views[i].len)
                    if i >= prepared or not sm2_sign_presigned(&out[64 * i], signer, e,
                                                               &taken[i]):
                        sm2_sign_hedged(&out[64 * i], signer, e, &random_bytes[32 * i])
            return [PyBytes_FromStringAndSize(<char *>&out[64 * i], 64) for i in range(count)]
        finally:
            for i in range(acquired):
                PyBuffer_Release(&views[i])
            if taken != NULL:
                for i in range(prepared):
                    sm2_presig_wipe(&taken[i])
            free(views)
            free(out)
            free(taken)


cdef inline void _put_u64(uint8_t *out, unsigned long long value) noexcept nogil:
    cdef int i
    for i in range(8):
        out[i] = <uint8_t>(value >> (56 - 8 * i))


def _sign_with_nonce_for_tests(private_key, message, const uint8_t[::1] k not None, *,
                               uid=DEFAULT_UID):
    """Deterministic signing with a caller-chosen nonce: only for known-answer tests."""
    cdef _Signer entry = _signer_for(private_key)
    cdef u256 e, nonce
    cdef uint8_t out[64]
    _digest(e, &entry.signer, message, uid)
    if k.shape[0] != 32 or not sm2_nonce_from_bytes(nonce, &k[0]):
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


def za(const uint8_t[::1] public_key not None, const uint8_t[::1] uid not None=DEFAULT_UID):
    """Z_A = SM3(ENTL || uid || a || b || xG || yG || xA || yA); ValueError on a bad key."""
    cdef sm2_key key
    cdef uint8_t out[32]
    cdef int reason = sm2_key_parse(&key, _start(public_key), <size_t>public_key.shape[0])
    if reason:
        raise ValueError(f"invalid SM2 public key: {_REASONS[reason]}")
    if uid.shape[0] > SM2_MAX_UID:
        raise ValueError("uid longer than 8191 bytes")
    sm2_za(out, _start(uid), <size_t>uid.shape[0], key.xy)
    return PyBytes_FromStringAndSize(<char *>out, 32)


def sig_to_der(const uint8_t[::1] raw not None):
    """DER-encode a raw 64-byte r||s signature."""
    cdef uint8_t out[SM2_DER_MAX]
    if raw.shape[0] != 64:
        raise ValueError("a raw SM2 signature is exactly 64 bytes")
    return PyBytes_FromStringAndSize(<char *>out, <Py_ssize_t>sm2_sig_to_der(&raw[0], out))


def sig_from_der(const uint8_t[::1] der not None):
    """Parse a strict-DER signature into raw 64-byte r||s; ValueError if not strict DER."""
    cdef uint8_t raw[64]
    if not 0 < der.shape[0] <= SM2_DER_MAX or not sm2_sig_from_der(&der[0], der.shape[0], raw):
        raise ValueError("not a strict-DER SM2 signature")
    return PyBytes_FromStringAndSize(<char *>raw, 64)
