"""Run the ``openssl`` command line from tests (OpenSSL 3.0 or later, with SM2)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

DISTID = "distid:1234567812345678"


def openssl(command: str, *, cwd: Path, check: bool = True) -> str:
    """Run ``openssl <command>`` (split like a shell would) in ``cwd``; return stdout + stderr.

    Some subcommands (``openssl crl -verify``) exit 0 even when the check
    fails, so callers assert on the text, not only on the exit status.
    """
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    done = subprocess.run(
        ["openssl", *shlex.split(command)], cwd=cwd, capture_output=True, text=True, check=False
    )
    output = done.stdout + done.stderr
    if check and done.returncode != 0:
        raise AssertionError(f"openssl {command} failed:\n{output}")
    return output
