"""`python -m bench.crypto.run [--quick] [--seconds S]`: the crypto benchmark's JSON.

Every figure of ours is set against a reference measured in the same run; the targets
are the project's performance goals (see bench/README.md).
"""

import argparse
import sys
from dataclasses import dataclass, replace
from importlib import metadata
from typing import Any, NamedTuple

from bench.crypto import bouncycastle, dataset, gmssl_ref, openssl_speed, ours, peer
from bench.result import Metric, emit, metric

SIZES = {64: "64B", 1024: "1KiB", 16384: "16KiB"}

Figures = dict[str, float | str]  # figure -> value, or why it is missing
Sources = dict[str, Figures | str]  # source -> its figures, or why it is missing entirely


@dataclass(frozen=True)
class Settings:
    seconds: float  # per figure of ours, BouncyCastle's and gmssl's
    min_warmup: float  # JIT warm-up before each BouncyCastle figure: until steady,
    max_warmup: float  # but at least min and at most max seconds
    openssl_seconds: int  # per `openssl speed` figure (it takes whole seconds)
    keys: int  # distinct keys cycled through: more than core_ext's key cache holds
    batch: int  # items per verify_batch round (halved between the two threads)


FULL = Settings(
    seconds=2.0, min_warmup=5.0, max_warmup=15.0, openssl_seconds=3, keys=8192, batch=2048
)
QUICK = Settings(
    seconds=0.05, min_warmup=0.05, max_warmup=0.05, openssl_seconds=1, keys=16, batch=8
)
PURE_KEYS = 256  # the pure twin would need minutes to sign 8192 keys; it has no cache


class Spec(NamedTuple):
    name: str
    unit: str
    ours: str  # our figure
    source: str  # the reference's source and figure, measured in the same run
    figure: str
    target: float | None  # the project's goal for ours / reference


SPECS = (
    Spec("sm2_verify_fresh/openssl", "verify/s", "verify_fresh", "openssl", "verify", 4.0),
    Spec("sm2_verify_fresh/bouncycastle", "verify/s", "verify_fresh", "bc", "verify_fresh", 1.0),
    Spec("sm2_verify_fresh/gmssl", "verify/s", "verify_fresh", "gmssl", "verify", None),
    Spec("sm2_verify_cached/openssl", "verify/s", "verify_cached", "openssl", "verify", 5.0),
    Spec("sm2_verify_cached/bouncycastle", "verify/s", "verify_cached", "bc", "verify_reused", 1.0),
    Spec("sm2_sign/openssl", "sign/s", "sign", "openssl", "sign", 5.0),
    Spec("sm2_sign/bouncycastle", "sign/s", "sign", "bc", "sign", None),
    Spec("sm2_sign/gmssl", "sign/s", "sign", "gmssl", "sign", None),
    Spec("sm2_presign/sign", "nonce/s", "presign", "ours", "sign", None),
    *(Spec(f"sm3_{label}/openssl", "MB/s", f"sm3_{size}", "openssl", f"sm3_{size}", 0.8)
      for size, label in SIZES.items()),
    *(Spec(f"sm3_{label}/bouncycastle", "MB/s", f"sm3_{size}", "bc", f"sm3_{size}", None)
      for size, label in SIZES.items()),
    Spec("sm2_verify_batch/2_threads", "verify/s", "batch_2", "ours", "batch_1", 1.7),
)  # fmt: skip

REFERENCES = {
    ("openssl", "verify"): "openssl speed sm2 (verify)",
    ("openssl", "sign"): "openssl speed sm2 (sign)",
    ("bc", "verify_fresh"): "BouncyCastle SM2Signer, a new key object per verify",
    ("bc", "verify_reused"): "BouncyCastle SM2Signer, one key object reused",
    ("bc", "sign"): "BouncyCastle SM2Signer, one key object reused",
    ("gmssl", "verify"): "gmssl CryptSM2.verify_with_sm3",
    ("gmssl", "sign"): "gmssl CryptSM2.sign_with_sm3",
    ("ours", "batch_1"): "core_ext.sm2.verify_batch on 1 thread",
    ("ours", "sign"): "core_ext.sm2.sign, its nonce made at once",
    **{("openssl", f"sm3_{size}"): f"openssl speed -evp sm3 -bytes {size}" for size in SIZES},
    **{("bc", f"sm3_{size}"): f"BouncyCastle SM3Digest, {size} B" for size in SIZES},
}


def _progress(message: str) -> None:
    print(f"crypto: {message}", file=sys.stderr, flush=True)


def _ours_or_why_not(settings: Settings) -> tuple[Figures | str, dict[str, Any], peer.Peer]:
    """Our figures (or why not), which implementation ran, and the peer for BouncyCastle."""
    try:
        core = ours.load()
    except ImportError as error:
        missing = f"core_ext not importable ({error})"
        return missing, {"missing": missing}, peer.gmssl()
    keys = settings.keys if core.sm2.COMPILED else min(settings.keys, PURE_KEYS)
    _progress(f"signing {keys} messages with {keys} keys (not timed)")
    items = dataset.build(core.sm2, keys)
    implementation = {"compiled": core.sm2.COMPILED, "distinct_keys": keys}
    return _ours(core, settings, items), implementation, peer.ours(core.sm2, items[0])


def _ours(core: ours.Core, settings: Settings, items: list[dataset.Signed]) -> Figures:
    _progress(f"core_ext (compiled={core.sm2.COMPILED}), {len(items)} distinct keys")
    figures: Figures = {
        "verify_fresh": ours.verify_rate(core.sm2, items, settings.seconds),
        "verify_cached": ours.cached_verify_rate(core.sm2, items[0], settings.seconds),
        "sign": ours.sign_rate(core.sm2, items[0].message, settings.seconds),
        "presign": ours.presign_rate(core.sm2, settings.seconds),
    }
    for size in SIZES:
        figures[f"sm3_{size}"] = ours.sm3_mb_per_second(core.sm3, size, settings.seconds)
    if core.verify_batch is None:
        figures["batch_1"] = figures["batch_2"] = "no verify_batch"
    else:
        batch = min(settings.batch, len(items))
        one, two = ours.batch_rates(core.verify_batch, items, batch, settings.seconds)
        figures.update(batch_1=one, batch_2=two)
    return figures


def _openssl(settings: Settings) -> tuple[Figures | str, str]:
    """OpenSSL's figures (or why not) and its version."""
    _progress("openssl speed")
    try:
        version = openssl_speed.version()
        speed = openssl_speed.sm2(settings.openssl_seconds)
        figures: Figures = {"sign": speed.sign_per_second, "verify": speed.verify_per_second}
        for size in SIZES:
            per_second = openssl_speed.sm3_bytes_per_second(size, settings.openssl_seconds)
            figures[f"sm3_{size}"] = per_second / 1e6
    except openssl_speed.OpenSSLUnavailable as error:
        return str(error), "skipped"
    return figures, version


def _gmssl(settings: Settings) -> Figures:
    _progress("gmssl")
    speed = gmssl_ref.speed(settings.seconds)
    return {"sign": speed.sign_per_second, "verify": speed.verify_per_second}


def _bouncycastle(
    settings: Settings, partner: peer.Peer
) -> tuple[Figures | str, str, dict[str, Any]]:
    """BouncyCastle's figures (or why not), its version, and the signature exchange."""
    _progress("BouncyCastle (javac + JIT warm-up)")
    try:
        speed = bouncycastle.run(
            settings.seconds, settings.min_warmup, settings.max_warmup, partner.sample
        )
    except bouncycastle.BouncyCastleUnavailable as error:
        return str(error), "skipped", {}
    checks = {
        "peer": partner.name,
        "bouncycastle_accepts_peer": speed.accepts_peer,
        "peer_accepts_bouncycastle": partner.verify(speed.own),
    }
    if not (checks["bouncycastle_accepts_peer"] and checks["peer_accepts_bouncycastle"]):
        raise RuntimeError(f"{partner.name} and BouncyCastle disagree: {checks}")
    figures: Figures = {
        "verify_fresh": speed.verify_fresh_per_second,
        "verify_reused": speed.verify_reused_per_second,
        "sign": speed.sign_per_second,
    }
    figures.update({f"sm3_{size}": mb for size, mb in speed.sm3_mb_per_second.items()})
    return figures, f"{speed.jar} on Java {speed.java}", checks


def _side(sources: Sources, source: str, figure: str) -> tuple[float | None, str | None]:
    figures = sources[source]
    if isinstance(figures, str):
        return None, f"{source}: {figures}"
    value = figures[figure]
    return (None, f"{source}: {value}") if isinstance(value, str) else (value, None)


def metrics(sources: Sources) -> dict[str, Metric]:
    results = {}
    for spec in SPECS:
        value, missing_ours = _side(sources, "ours", spec.ours)
        reference, missing_reference = _side(sources, spec.source, spec.figure)
        results[spec.name] = metric(
            value,
            spec.unit,
            REFERENCES[spec.source, spec.figure],
            reference,
            spec.target,
            skipped=missing_ours or missing_reference,
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crypto.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny durations and data sets")
    parser.add_argument("--seconds", type=float, help="per figure (default 2, quick 0.05)")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.seconds is not None:
        settings = replace(settings, seconds=args.seconds)

    sources: Sources = {}
    sources["ours"], implementation, partner = _ours_or_why_not(settings)
    sources["openssl"], openssl_version = _openssl(settings)
    sources["gmssl"] = _gmssl(settings)
    sources["bc"], bc_version, checks = _bouncycastle(settings, partner)
    emit(
        "crypto",
        metrics(sources),
        implementation=implementation,
        references={
            "openssl": openssl_version,
            "bouncycastle": bc_version,
            "gmssl": metadata.version("gmssl"),
        },
        checks=checks,
        settings=vars(settings) | {"quick": args.quick},
    )


if __name__ == "__main__":
    main()
