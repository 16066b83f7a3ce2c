"""Native building blocks: SM3, SM2 and field validation (Cython, GIL released).

General layout:
  sm3.py / sm2.py   selector modules: the compiled extension, or the pure twin
                    where explicitly allowed (tests, oracles)
  fields            check characters, code shapes, fixed-point decimals, code tables
"""
