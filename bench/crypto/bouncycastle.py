"""BouncyCastle on the JDK as a reference: BcBench.java, compiled into a temp dir per run.

The jar is the Debian package's (bench/setup-references.sh installs it), or the one
named by EPORT_BCPROV_JAR. Without javac, java or the jar, the reference is skipped.
"""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.crypto.dataset import Signed

SOURCE = Path(__file__).with_name("BcBench.java")
DEFAULT_JAR = Path("/usr/share/java/bcprov.jar")


class BouncyCastleUnavailable(Exception):
    """java, javac or the bcprov jar is missing, or BcBench failed; the message says why."""


@dataclass(frozen=True)
class BcSpeed:
    jar: str  # e.g. bcprov-1.72.jar: the resolved file name carries the version
    java: str
    verify_fresh_per_second: float
    verify_reused_per_second: float
    sign_per_second: float
    sm3_mb_per_second: dict[int, float]
    accepts_peer: bool  # BC verified the signature we passed in
    own: Signed  # a signature by BC, for the peer to verify


def run(seconds: float, min_warmup: float, max_warmup: float, peer: Signed) -> BcSpeed:
    """Compile and run BcBench: each figure after min..max_warmup seconds of JIT warm-up
    (until two consecutive half-second rates agree within 5%)."""
    jar = Path(os.environ.get("EPORT_BCPROV_JAR", DEFAULT_JAR))
    java, javac = shutil.which("java"), shutil.which("javac")
    if java is None or javac is None:
        raise BouncyCastleUnavailable("java/javac not on PATH (run bench/setup-references.sh)")
    if not jar.is_file():
        raise BouncyCastleUnavailable(f"{jar} not found (run bench/setup-references.sh)")
    with tempfile.TemporaryDirectory(prefix="bcbench-") as classes:
        _call([javac, "-cp", str(jar), "-d", classes, str(SOURCE)], timeout=300)
        timing = [str(seconds), str(min_warmup), str(max_warmup)]
        signed = [peer.public_key.hex(), peer.message.hex(), peer.signature.hex()]
        classpath = os.pathsep.join([classes, str(jar)])
        output = _call(
            [java, "-cp", classpath, "BcBench", *timing, *signed],
            timeout=6 * 2 * (seconds + max_warmup) + 120,  # six figures, each warmed up
        )
    return _parse(jar.resolve().name, output)


def _call(command: list[str], timeout: float) -> str:
    try:
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BouncyCastleUnavailable(f"{Path(command[0]).name} timed out") from error
    if finished.returncode != 0:
        raise BouncyCastleUnavailable(f"{Path(command[0]).name} failed: {finished.stderr}")
    return finished.stdout


def _parse(jar: str, output: str) -> BcSpeed:
    try:
        found: dict[str, Any] = json.loads(output)
        return BcSpeed(
            jar=jar,
            java=str(found["java"]),
            verify_fresh_per_second=float(found["verify_fresh"]),
            verify_reused_per_second=float(found["verify_reused"]),
            sign_per_second=float(found["sign"]),
            sm3_mb_per_second={int(size): float(v) for size, v in found["sm3_mb_per_s"].items()},
            accepts_peer=found["accepts_peer"] is True,
            own=Signed(
                bytes.fromhex(found["public_key"]),
                bytes.fromhex(found["message"]),
                bytes.fromhex(found["signature"]),
            ),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BouncyCastleUnavailable(f"BcBench printed unexpected output: {output!r}") from error
