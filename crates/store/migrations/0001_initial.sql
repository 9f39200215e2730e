-- Fieldbook schema v1.
-- The `change` table is the log of every write (one write path: see write.rs); the
-- typed tables below it hold the current value of each record, updated in the same
-- transaction. Deletes are soft: `deleted_at` is the tombstone.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE setting (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- A batch is what one user action wrote: the unit of undo.
CREATE TABLE batch (
  id      INTEGER PRIMARY KEY,
  device  TEXT    NOT NULL,
  at      TEXT    NOT NULL,
  label   TEXT    NOT NULL,
  undoes  INTEGER REFERENCES batch(id)
) STRICT;
CREATE INDEX batch_undoes ON batch(undoes);

CREATE TABLE change (
  device     TEXT    NOT NULL,
  seq        INTEGER NOT NULL CHECK (seq >= 1),
  hlc        INTEGER NOT NULL,
  at         TEXT    NOT NULL,
  batch      INTEGER NOT NULL REFERENCES batch(id),
  op         TEXT    NOT NULL CHECK (op IN ('create', 'set', 'delete', 'restore')),
  kind       TEXT    NOT NULL,
  record_id  TEXT    NOT NULL,
  field      TEXT,
  value      TEXT,   -- JSON of the stored value (set)
  prev       TEXT,   -- JSON of the value it replaced (set), for history and undo
  cascade_of TEXT,   -- delete/restore done because this parent record was deleted/restored
  PRIMARY KEY (device, seq)
) STRICT;
CREATE INDEX change_record ON change(record_id, hlc);
CREATE INDEX change_batch ON change(batch);

-- Full-text search over every searchable field; rows map to records via search_doc.
CREATE TABLE search_doc (
  rowid     INTEGER PRIMARY KEY,
  record_id TEXT NOT NULL UNIQUE,
  kind      TEXT NOT NULL
) STRICT;
CREATE VIRTUAL TABLE search USING fts5(title, body, tokenize = 'trigram');

CREATE TABLE country (
  id TEXT PRIMARY KEY,
  code TEXT, name TEXT, name_ja TEXT,
  jcm_partner INTEGER, jcm_partner_as_of TEXT,
  jfjcm_eligible INTEGER, jfjcm_eligible_as_of TEXT,
  status_source TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;

CREATE TABLE city (
  id TEXT PRIMARY KEY,
  name TEXT, name_ja TEXT, country_id TEXT, kind TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX city_country ON city(country_id);

CREATE TABLE org (
  id TEXT PRIMARY KEY,
  name TEXT, name_ja TEXT, kind TEXT, country_id TEXT, city_id TEXT, website TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;

CREATE TABLE contact (
  id TEXT PRIMARY KEY,
  org_id TEXT, name TEXT, role TEXT, email TEXT, phone TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX contact_org ON contact(org_id);

CREATE TABLE collaboration (
  id TEXT PRIMARY KEY,
  japanese_org_id TEXT, partner_city_id TEXT, kind TEXT, since TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;

CREATE TABLE study (
  id TEXT PRIMARY KEY,
  title TEXT, fiscal_year INTEGER, collaboration_id TEXT, consignee_id TEXT,
  stakeholder_ids TEXT, status TEXT, years INTEGER, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;

CREATE TABLE visit (
  id TEXT PRIMARY KEY,
  study_id TEXT, date TEXT, place TEXT, latitude TEXT, longitude TEXT, participants TEXT,
  notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX visit_study ON visit(study_id);

CREATE TABLE finding (
  id TEXT PRIMARY KEY,
  study_id TEXT, visit_id TEXT, sector TEXT, title TEXT, text TEXT, status TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX finding_study ON finding(study_id);

CREATE TABLE measurement (
  id TEXT PRIMARY KEY,
  finding_id TEXT, quantity TEXT, value TEXT, unit TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX measurement_finding ON measurement(finding_id);

CREATE TABLE attachment (
  id TEXT PRIMARY KEY,
  finding_id TEXT, role TEXT, sha256 TEXT, file_name TEXT, mime TEXT, size_bytes INTEGER,
  caption TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX attachment_finding ON attachment(finding_id);

CREATE TABLE need (
  id TEXT PRIMARY KEY,
  study_id TEXT, statement TEXT, sector TEXT, priority TEXT, voiced_by TEXT,
  finding_ids TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX need_study ON need(study_id);

CREATE TABLE technology (
  id TEXT PRIMARY KEY,
  study_id TEXT, tech_type TEXT, name TEXT, supplier_id TEXT, capex TEXT, currency TEXT,
  need_ids TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX technology_study ON technology(study_id);

CREATE TABLE parameter (
  id TEXT PRIMARY KEY,
  technology_id TEXT, name TEXT, value TEXT, unit TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX parameter_technology ON parameter(technology_id);
