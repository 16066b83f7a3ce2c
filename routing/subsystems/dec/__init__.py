"""dec 报关申报: declarations and the customs actions on them.

General layout:
  types.py          value shapes shared with agent and paperless
  schema.py         the declaration body (head, goods items, containers, documents)
  rules.py          field rules: code tables, exact arithmetic, items, containers
  parties.py        cross-entity rules as ops: consignor, broker entrustment, paperless
  declare.py        dec.declaration
  states.py         the declaration lifecycle as one table
  actions.py        accept/tax_due/inspect/release/close/reject/delete/withdraw
  entry_numbers.py  the 18-digit entry number assigned on accept
  tax.py            tax bills created by tax_due (the payment hook)
  example.py        a valid declaration of any size
"""

from routing.subsystems.dec import actions, declare

SPECS = (declare.SPEC, *actions.SPECS)
