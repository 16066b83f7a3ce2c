"""identity 身份认证: enterprises join the platform; IC cards are issued and managed.

General layout:
  onboarding.py    enterprise_register, card_issue
  enterprises.py   enterprise_change (history kept), enterprise_cancel (cards cancelled)
  states.py        the card lifecycle as one table
  lifecycle.py     lock/unlock/freeze/unfreeze/void/cancel, driven by that table
  certificates.py  cert_renew, card_reissue: a successor card with a new certificate
  certify.py       certificates from the platform CA, serials derived from the document
  permissions.py   permission_grant / permission_revoke by the legal card
"""

from routing.subsystems.identity import (
    certificates,
    enterprises,
    lifecycle,
    onboarding,
    permissions,
)

SPECS = (onboarding.SPECS + enterprises.SPECS + lifecycle.SPECS + certificates.SPECS
         + permissions.SPECS)
