"""SM2/SM3 benchmark: core_ext against OpenSSL, BouncyCastle and gmssl in one run.

General layout:
  run.py            builds the data, runs every side, prints the JSON (the metrics)
  ours.py           core_ext.sm2 / core_ext.sm3 timings
  dataset.py        keys, messages and signatures, built outside the timed parts
  openssl_speed.py  `openssl speed` for SM2 sign/verify and SM3, parsed
  bouncycastle.py   compiles and runs BcBench.java against the system's bcprov jar
  gmssl_ref.py      the pure-Python gmssl package (slow; a few calls)
  peer.py           the SM2 implementation the cross-checks with the references use
"""
