"""SM2 and SM3 rates from `openssl speed`, read from its machine-readable (-mr) lines.

OpenSSL 3.0 prints, for `speed -mr sm2`, a line `+F7:0:256:CurveSM2:<sign/s>:<verify/s>`
and, for `speed -mr -evp sm3 -bytes B`, a line `+F:<n>:sm3:<bytes/s>`.
"""

import re
import shutil
import subprocess
from dataclasses import dataclass

SIGN_VERIFY_LINE = re.compile(r"^\+F\d+:\d+:256:CurveSM2:([0-9.]+):([0-9.]+)$", re.MULTILINE)
DIGEST_LINE = re.compile(r"^\+F:\d+:sm3:([0-9.]+)$", re.MULTILINE)


class OpenSSLUnavailable(Exception):
    """No openssl binary, or it cannot run the SM2/SM3 speed tests; the message says why."""


@dataclass(frozen=True)
class Sm2Speed:
    sign_per_second: float
    verify_per_second: float


def version() -> str:
    """`openssl version`, e.g. 'OpenSSL 3.0.19 27 Jan 2026 (Library: ...)'."""
    return _speed_output(["version"], timeout=30).strip()


def sm2(seconds: int) -> Sm2Speed:
    """SM2 sign/s and verify/s, each measured for `seconds` (OpenSSL takes whole seconds)."""
    output = _speed_output(["speed", "-mr", "-seconds", str(seconds), "sm2"], seconds)
    found = SIGN_VERIFY_LINE.search(output)
    if not found:
        raise OpenSSLUnavailable("`openssl speed sm2` printed no CurveSM2 result")
    return Sm2Speed(float(found[1]), float(found[2]))


def sm3_bytes_per_second(size: int, seconds: int) -> float:
    """SM3 throughput over `size`-byte inputs, in bytes per second."""
    command = ["speed", "-mr", "-evp", "sm3", "-seconds", str(seconds), "-bytes", str(size)]
    found = DIGEST_LINE.search(_speed_output(command, seconds))
    if not found:
        raise OpenSSLUnavailable("`openssl speed -evp sm3` printed no sm3 result")
    return float(found[1])


def _speed_output(arguments: list[str], timeout: float) -> str:
    binary = shutil.which("openssl")
    if binary is None:
        raise OpenSSLUnavailable("openssl is not on PATH")
    try:
        finished = subprocess.run(
            [binary, *arguments],
            capture_output=True,
            text=True,
            timeout=timeout * 4 + 30,  # sm2 runs sign then verify; leave room for a busy host
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise OpenSSLUnavailable(f"`openssl {arguments[0]}` timed out") from error
    if finished.returncode != 0:
        raise OpenSSLUnavailable(f"`openssl {' '.join(arguments)}` failed: {finished.stderr}")
    return finished.stdout
