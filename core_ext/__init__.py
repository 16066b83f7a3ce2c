"""Native building blocks: SM3, SM2 and field validation (Cython, GIL released).

General layout:
  sm3.py / sm2.py   selector modules: the compiled extension, or the pure twin
                    where explicitly allowed (tests, oracles); require_compiled()
  _sm3.pyx, _sm2.pyx  the compiled modules (Python-facing glue, key caches)
  include/          their C core: eport_sm3.h (SM3, HMAC-SM3), eport_u256.h and
                    sm2_fp.h / sm2_field.h (arithmetic mod p and n), sm2_point.h,
                    sm2_ecmult.h (scalar multiplication), sm2_der.h, sm2_verify.h,
                    sm2_sign.h
  _sm3_pure.py, _sm2_pure.py, _sig_der_pure.py  the pure-Python oracles
  fields            check characters, code shapes, fixed-point decimals, code tables
  pki.py            the platform CA (certificates, CRLs) over keys.py, x509.py, crl.py
                    and asn1_sm2.py (SM2 OIDs for asn1crypto); pure Python, no Cython
"""
