"""SM3 hash: the compiled `_sm3` extension, or its pure-Python twin if it is not built.

    digest(data) -> bytes                      32-byte digest
    SM3(data=b"") .update() .digest() .hexdigest() .copy()

`COMPILED` says which one was loaded; `require_compiled()` raises RuntimeError when
it is the pure twin (production refuses to run without the extension).
"""

from __future__ import annotations

__all__ = ["COMPILED", "SM3", "digest", "require_compiled"]

try:
    from core_ext._sm3 import SM3, digest

    COMPILED = True
except ImportError:
    from core_ext._sm3_pure import SM3, digest  # type: ignore[assignment]

    COMPILED = False


def require_compiled() -> None:
    """Raise RuntimeError unless the compiled SM3 extension is loaded."""
    if not COMPILED:
        raise RuntimeError(
            "core_ext._sm3 (the compiled SM3 extension) is not built; run "
            "`pip install -e .` or `python setup.py build_ext --inplace` with a C compiler"
        )
