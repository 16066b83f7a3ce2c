"""licence 监管证件联网: licences issued by departments, written off by declarations.

General layout:
  kinds.py      the licence kinds, who issues each, which declarations write it off
  states.py     the licence lifecycle as one table
  schema.py     licence.issue / amend / revoke bodies and their field rules
  documents.py  the issuing department's documents: issue, amend, revoke
  vehicles.py   automobile import certificates, one per VIN, issued by a release

Each licence line is a ledger line (``licence:<licence>#<line>``) opened with its
quantity; declarations debit it per goods item inside their commit
(dec/writeoffs.py) and a rejected, deleted or withdrawn declaration gets exactly
that back (routing.ops.Restore).
"""

from routing.subsystems.licence import documents

SPECS = documents.SPECS
