"""Pure document logic: the sans-IO pipeline and the subsystem handlers.

General layout:
  errors.py    the one error tree (stable codes, HTTP status hints, field paths)

Nothing in this package imports trio, quart, hypercorn or asyncpg, and nothing
here performs I/O, reads the clock or draws randomness: callers pass them in.
"""
