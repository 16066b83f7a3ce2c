"""The gateway's verifier: few signatures inline, more on the collector's threads,
each reason in request order either way."""

from __future__ import annotations

import pytest
import trio

from gateway.verifier import INLINE_MAX, Verifier
from routing.pipeline import Admitted, admit

from .test_pipeline import NOW, REGISTRY, card, envelope


def items(count: int, tampered: set[int]) -> list[Admitted]:
    return [admit(envelope({"id": f"T-{i}"}, tamper=i in tampered), {"abc1": card()}, REGISTRY,
                  NOW) for i in range(count)]


async def test_up_to_inline_max_signatures_need_no_collector() -> None:
    reasons = await Verifier().verify(items(INLINE_MAX, {1}))
    assert [reason is None for reason in reasons] == [i != 1 for i in range(INLINE_MAX)]


async def test_more_than_inline_max_wait_for_the_collector() -> None:
    verifier = Verifier()
    with trio.move_on_after(0.5) as waited:
        await verifier.verify(items(INLINE_MAX + 1, set()))
    assert waited.cancelled_caught


@pytest.mark.parametrize("count", [INLINE_MAX + 1, 300])
async def test_the_collector_answers_each_request_in_order(count: int) -> None:
    verifier = Verifier(max_batch=64)
    tampered = {0, count - 1}
    answers: dict[int, list[str | None]] = {}

    async def request(number: int) -> None:
        answers[number] = await verifier.verify(items(count, tampered))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(verifier.run)
        async with trio.open_nursery() as requests:
            for number in range(3):
                requests.start_soon(request, number)
        nursery.cancel_scope.cancel()
    for reasons in answers.values():
        assert [reason is None for reason in reasons] == [i not in tampered for i in range(count)]
    assert len(answers) == 3
