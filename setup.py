"""Native extensions only; metadata lives in pyproject.toml.

Build switches (environment variables):
  EPORT_DEBUG=1     -O0 -g, Cython boundscheck/wraparound on
  EPORT_ANNOTATE=1  write Cython HTML annotations next to the sources
  EPORT_SANITIZE=1  build with AddressSanitizer and UBSan (run with LD_PRELOAD of libasan)
"""

import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("EPORT_DEBUG") == "1"
ANNOTATE = os.environ.get("EPORT_ANNOTATE") == "1"
SANITIZE = os.environ.get("EPORT_SANITIZE") == "1"

compile_args = ["-O0", "-g"] if DEBUG else ["-O3"]
link_args: list[str] = []
if SANITIZE:
    compile_args += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
    link_args += ["-fsanitize=address,undefined"]

HEADERS = [str(header) for header in sorted(Path("core_ext/include").glob("*.h"))]

extensions = [
    Extension(
        f"core_ext.{source.stem}",
        [str(source)],
        include_dirs=["core_ext/include"],
        depends=HEADERS,  # so that editing a header rebuilds the extensions
        extra_compile_args=compile_args,
        extra_link_args=link_args,
    )
    for source in sorted(Path("core_ext").glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        annotate=ANNOTATE,
        compiler_directives={
            "language_level": 3,
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "cdivision": True,
        },
    ),
)
