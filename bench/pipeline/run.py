"""`python -m bench.pipeline.run [--quick] [--seconds S]`: the pipeline benchmark's JSON.

The sans-IO pipeline per document (routing.pipeline admit + verify + judge, with
the SM2 that core_ext.sm2 loads), against two references measured in the same run
on the same envelopes: plain msgspec decoding of the whole envelope, and the bare
SM2 verify of the same signatures. The same pipeline without its SM2 step (admit +
judge) shows what framing, identification, validation and the handlers cost.
"""

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import msgspec

from bench.pipeline import workload
from bench.result import emit, metric
from bench.timing import rate
from core_ext import sm2
from routing.pipeline import Verdict, admit, judge, verify
from routing.subsystems import REGISTRY

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    seconds: float  # per figure
    cards: int  # distinct keys, fewer than core_ext.sm2's key cache holds (as in service)
    documents: int


FULL = Settings(seconds=2.0, cards=1024, documents=4096)
QUICK = Settings(seconds=0.05, cards=16, documents=64)


def full_pipeline(work: workload.Workload) -> Callable[[workload.Signed], Verdict]:
    def run(signed: workload.Signed) -> Verdict:
        admitted = admit(signed.envelope, work.cards, REGISTRY, workload.RECEIVED_AT)
        verify(admitted)
        return judge(admitted)

    return run


def pipeline_without_sm2(work: workload.Workload) -> Callable[[workload.Signed], Verdict]:
    def run(signed: workload.Signed) -> Verdict:
        return judge(admit(signed.envelope, work.cards, REGISTRY, workload.RECEIVED_AT))

    return run


def msgspec_decode(signed: workload.Signed) -> object:
    return msgspec.json.decode(signed.envelope)


def bare_verify(signed: workload.Signed) -> bool:
    return sm2.verify(signed.public_key, signed.doc_bytes, signed.signature)


def per_second(operation: Callable[[T], object], items: Sequence[T], seconds: float) -> float:
    """Calls of `operation` per CPU second, cycling through `items`."""
    cycle = itertools.cycle(items)

    def run(n: int) -> None:
        for item in itertools.islice(cycle, n):
            operation(item)

    return rate(run, seconds)


def check(work: workload.Workload) -> None:
    """The guard: every document is accepted and every signature verifies."""
    run = full_pipeline(work)
    for index, signed in enumerate(work.documents):
        verdict, verified = run(signed), bare_verify(signed)
        if verdict.status != "accepted" or not verified:
            raise RuntimeError(f"document {index}: {verdict}, bare verify {verified}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny durations and data set")
    parser.add_argument("--seconds", type=float, help="per figure (default 2, quick 0.05)")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.seconds is not None:
        settings = replace(settings, seconds=args.seconds)

    print(f"pipeline: signing {settings.documents} documents", file=sys.stderr, flush=True)
    work = workload.build(settings.cards, settings.documents)
    check(work)  # also warms the key cache, as a running gateway's is
    docs, seconds = work.documents, settings.seconds
    figures = {
        "pipeline": per_second(full_pipeline(work), docs, seconds),
        "pipeline_without_sm2": per_second(pipeline_without_sm2(work), docs, seconds),
        "msgspec_decode": per_second(msgspec_decode, docs, seconds),
        "sm2_verify": per_second(bare_verify, docs, seconds),
    }
    decode_reference = "msgspec.json.decode of the same envelopes"
    results = {
        "pipeline/sm2_verify": metric(
            figures["pipeline"], "docs/s", "core_ext.sm2.verify of the same signatures",
            figures["sm2_verify"],
        ),
        "pipeline/msgspec_decode": metric(
            figures["pipeline"], "docs/s", decode_reference, figures["msgspec_decode"]
        ),
        "pipeline_without_sm2/msgspec_decode": metric(
            figures["pipeline_without_sm2"], "docs/s", decode_reference,
            figures["msgspec_decode"],
        ),
    }  # fmt: skip
    emit(
        "pipeline",
        results,
        per_document_us={name: 1e6 / value for name, value in figures.items()},
        workload={
            "types": list(work.types),
            "cards": len(work.cards),
            "documents": len(docs),
            "mean_envelope_bytes": sum(len(d.envelope) for d in docs) / len(docs),
        },
        implementation={"compiled": sm2.COMPILED},
        settings=vars(settings) | {"quick": args.quick},
    )


if __name__ == "__main__":
    main()
