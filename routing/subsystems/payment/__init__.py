"""payment 网上支付: tri-party payment agreements and the payment of tax bills.

General layout:
  states.py     the tax bill lifecycle as one table
  agreement.py  payment.agreement (enterprise, its bank, customs; a designated payer)
  bills.py      payment.instruct (payer), payment.bank_confirm / bank_fail (the bank)

Tax bills are created by dec.tax_due (dec/tax.py), with the ``tax_owed`` ledger
line of their total; the confirmation that brings that line to zero moves the
declaration to ``tax_paid``, which release waits for.
"""

from routing.subsystems.payment import agreement, bills

SPECS = (agreement.SPEC, *bills.SPECS)
