-- Fieldbook schema v4: the change log becomes the op log that sync merges
-- (SYNC.md §8.3–8.4). Each op names the ops it supersedes and chains to its
-- author's previous op by hash; the heads of each field (ops no known op
-- supersedes) decide the shown value, and more than one head with different
-- values is a conflict kept until someone resolves it. The existing log is
-- backfilled by the migration code (migrate.rs).

ALTER TABLE change ADD COLUMN supersedes TEXT NOT NULL DEFAULT '[]'; -- JSON [{actor, seq}]
ALTER TABLE change ADD COLUMN observed TEXT NOT NULL DEFAULT '[]';   -- delete: JSON [{actor, seq}]
ALTER TABLE change ADD COLUMN schema_ver INTEGER NOT NULL DEFAULT 1;
ALTER TABLE change ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE change ADD COLUMN op_hash TEXT NOT NULL DEFAULT '';

-- Ops no known op supersedes, per (record, field); field '' is the record's
-- lifecycle (its create, delete and restore ops).
CREATE TABLE head (
  record_id TEXT NOT NULL, field TEXT NOT NULL, actor TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (record_id, field, actor, seq)
) STRICT, WITHOUT ROWID;

-- Every op id named in a known op's `supersedes`, possibly before that op arrives.
CREATE TABLE superseded (
  actor TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (actor, seq)
) STRICT, WITHOUT ROWID;

-- Fields with concurrent different values, and (field '') records deleted on
-- one replica while edited on another: what the Conflicts view lists.
CREATE TABLE conflict (
  record_id TEXT NOT NULL, field TEXT NOT NULL, kind TEXT NOT NULL,
  PRIMARY KEY (record_id, field)
) STRICT, WITHOUT ROWID;
CREATE INDEX conflict_kind ON conflict(kind);
