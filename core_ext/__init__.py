"""Native building blocks: SM3, SM2 and field validation (Cython, GIL released).

General layout:
  sm3.py / sm2.py   selector modules: the compiled extension, or the pure twin
                    where explicitly allowed (tests, oracles)
  fields            check characters, code shapes, fixed-point decimals, code tables
  pki.py            the platform CA (certificates, CRLs) over keys.py, x509.py, crl.py
                    and asn1_sm2.py (SM2 OIDs for asn1crypto); pure Python, no Cython
"""
