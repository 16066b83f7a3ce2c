"""`python -m bench.fields.bench_fields [--quick] [--seconds S]`: the fields benchmark's JSON.

One metric: decoding a 50-item declaration and validating every field, against
decoding the same bytes with msgspec alone, both in the same run. The cost of each
check on its own goes into `per_call_ns` (information, not compared to a baseline:
there is no reference to divide it by).
"""

import argparse
import sys
from collections.abc import Callable

import msgspec

from bench.fields.declaration import ITEMS, Declaration, sample_json, validate
from bench.result import emit, metric
from bench.timing import calls_per_second
from core_ext import fields

FULL_SECONDS = 2.0  # per declaration figure; each check gets a tenth of it
QUICK_SECONDS = 0.05


def _progress(message: str) -> None:
    print(f"fields: {message}", file=sys.stderr, flush=True)


CHECKS: dict[str, Callable[[], object]] = {
    "check_uscc": lambda: fields.check_uscc("91350100M000100Y43"),
    "check_org_code": lambda: fields.check_org_code("771583283"),
    "check_customs_code": lambda: fields.check_customs_code("1101910123"),
    "check_entry_number": lambda: fields.check_entry_number("576020031603050000"),
    "check_district_code": lambda: fields.check_district_code("2300"),
    "check_hs_code": lambda: fields.check_hs_code("0101210010"),
    "check_code(countries_iso)": lambda: fields.check_code("countries_iso", "CHN"),
    "parse_fixed(str N19,5)": lambda: fields.parse_fixed("12345.678", 19, 5),
    "parse_fixed(Raw N19,5)": lambda: fields.parse_fixed(msgspec.Raw(b"12345.678"), 19, 5),
    "check_line_total": lambda: fields.check_line_total(300000, 5, 125001234, 4, 3750037, 2),
    "parse_rfc3339": lambda: fields.parse_rfc3339("2026-11-28T16:00:00.123+08:00"),
    "parse_date": lambda: fields.parse_date("2026-11-28"),
    "parse_customs_datetime": lambda: fields.parse_customs_datetime("20261128160000"),
    "format_rfc3339": lambda: fields.format_rfc3339(1795852800123000),
}


def per_call_ns(seconds: float) -> dict[str, float]:
    """Nanoseconds of CPU time per call of each check, on a valid value."""
    return {name: round(1e9 / calls_per_second(call, seconds), 1) for name, call in CHECKS.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fields.bench_fields", description=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="tiny durations")
    parser.add_argument("--seconds", type=float, help="per declaration figure (default 2)")
    args = parser.parse_args(argv)
    seconds = QUICK_SECONDS if args.quick else FULL_SECONDS
    if args.seconds is not None:
        seconds = args.seconds

    fields.default_tables().load_all()  # the code tables load lazily: not on the clock
    data = sample_json()
    decoder = msgspec.json.Decoder(Declaration)
    validate(decoder.decode(data))  # the guard: the sample is valid, so every check runs

    _progress(f"{ITEMS}-item declaration, {len(data)} bytes")
    decoded = calls_per_second(lambda: decoder.decode(data), seconds)
    checked = calls_per_second(lambda: validate(decoder.decode(data)), seconds)
    _progress(f"{len(CHECKS)} checks one by one")
    per_call = per_call_ns(seconds / 10)
    results = {
        "declaration_validated/msgspec_decode": metric(
            checked, "decl/s", "msgspec decode of the same declaration, no checks", decoded
        ),
    }
    emit(
        "fields",
        results,
        declaration={"items": ITEMS, "json_bytes": len(data),
                     "decode_us": 1e6 / decoded, "decode_and_validate_us": 1e6 / checked},
        per_call_ns=per_call,
        settings={"seconds": seconds, "quick": args.quick},
    )  # fmt: skip


if __name__ == "__main__":
    main()
