"""identity 身份认证: enterprises join the platform; IC cards are issued and managed.

General layout:
  onboarding.py  enterprise_register, card_issue (certificates from the platform CA)
  states.py      the card lifecycle as one table
  lifecycle.py   lock/unlock/freeze/unfreeze/void/cancel, driven by that table
"""

from routing.subsystems.identity import lifecycle, onboarding

SPECS = onboarding.SPECS + lifecycle.SPECS
