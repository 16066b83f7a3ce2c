"""Every payment and licence type: its example is valid, and no event goes to its sender
(the store refuses such a document outright, so a hostile body naming the sender as
a party must not produce one)."""

from __future__ import annotations

import pytest

from routing.subsystems import REGISTRY
from routing.subsystems.dec.example import EXAMPLE_CONSIGNOR
from tests.dec.judging import verdict

TYPES = sorted(t for t in REGISTRY if t.split(".")[0] in ("payment", "licence"))


@pytest.mark.parametrize("doc_type", TYPES)
def test_example_is_accepted_and_never_notifies_its_sender(doc_type: str) -> None:
    spec = REGISTRY[doc_type]
    # The examples are an import licence (mofcom's) and bank answers.
    department = next(k for k in ("mofcom", "bank", "customs")
                      if k in (spec.department_kinds or {"customs"}))
    kind = "department" if spec.card_kinds == {"department"} else "legal"
    # The examples name EXAMPLE_CONSIGNOR as holder, consignor or enterprise: signing
    # as that code makes the sender a party of its own document.
    result = verdict(doc_type, spec.example(), sender=EXAMPLE_CONSIGNOR, kind=kind,
                     department=department)
    assert result.status == "accepted", result
    assert result.event is not None and EXAMPLE_CONSIGNOR not in result.event.recipients
