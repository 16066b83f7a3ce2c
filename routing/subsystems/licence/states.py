"""The licence lifecycle: the one table that decides every licence transition.

    (licence.issue) ──▶ valid ── amend (the issuer) ──▶ valid
    valid ── revoke (the issuer) ──▶ revoked   (final)

Validity dates are data, not states: a write-off checks that the declaration's
day is between ``valid_from`` and ``valid_to``. A revoked licence keeps its
ledger lines (and their history) but nothing writes them off any more.
"""

from __future__ import annotations

from typing import NamedTuple

LICENCE_STATES = ("valid", "revoked")


class LicenceTransition(NamedTuple):
    from_states: tuple[str, ...]
    to_state: str


LICENCE_TRANSITIONS: dict[str, LicenceTransition] = {
    "licence.amend": LicenceTransition(("valid",), "valid"),
    "licence.revoke": LicenceTransition(("valid",), "revoked"),
}
