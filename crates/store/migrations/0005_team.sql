-- Fieldbook schema v5: what sync between laptops needs beside the op log.
-- The team's devices and their public keys (a bundle is accepted only from,
-- and only relays ops of, devices listed here and not revoked), the signed
-- chain heads that let relayed ops be verified, what each peer is known to
-- hold, and a log of every bundle exported or imported.

CREATE TABLE team_device (
  actor      TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,            -- hex Ed25519
  label      TEXT NOT NULL,
  added_by   TEXT,                     -- the member who vouched for it (NULL: this laptop's own or the inviter)
  added_at   TEXT NOT NULL,
  revoked_at TEXT
) STRICT;

CREATE TABLE checkpoint (
  actor   TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  op_hash TEXT NOT NULL,
  sig     TEXT NOT NULL,
  PRIMARY KEY (actor, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE peer (
  actor     TEXT PRIMARY KEY,
  have      TEXT NOT NULL,             -- JSON {actor: seq}: its version vector when it last sent us a bundle
  seen_at   TEXT NOT NULL
) STRICT;

CREATE TABLE bundle_log (
  bundle_id  TEXT NOT NULL,
  part       INTEGER NOT NULL,         -- 1-based part index (1 for a single file)
  direction  TEXT NOT NULL CHECK (direction IN ('export', 'import')),
  sender     TEXT NOT NULL,
  file_sha   TEXT NOT NULL,
  at         TEXT NOT NULL,
  ops_new    INTEGER NOT NULL,
  ops_known  INTEGER NOT NULL,
  blobs      INTEGER NOT NULL,
  PRIMARY KEY (bundle_id, part, direction)
) STRICT;
