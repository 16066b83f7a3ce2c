-- Ledger lines and their history compare their names byte by byte (COLLATE "C").
--
-- Names of lines are identifiers ("licence", "<issuer>/<licence id>#<line>"),
-- never sorted for people. Under the database's collation every comparison
-- went through strcoll: a write-off of eight lines spent 94,000 of its 1.54 M
-- instructions on it (two primary-key lookups a line, the history rows' index
-- entries). Byte order is also the order in which the handlers sort the lines
-- they lock (Python compares strings by code point, which UTF-8 bytes keep).

ALTER TABLE ledgers
    ALTER COLUMN ledger TYPE text COLLATE "C",
    ALTER COLUMN key TYPE text COLLATE "C";
ALTER TABLE ledger_history
    ALTER COLUMN ledger TYPE text COLLATE "C",
    ALTER COLUMN key TYPE text COLLATE "C",
    ALTER COLUMN sender TYPE text COLLATE "C",
    ALTER COLUMN doc_id TYPE text COLLATE "C";
