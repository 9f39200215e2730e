-- Fieldbook schema v3: estimates saved in a study (their inputs linked to
-- measurements or typed with a source), dated exchange rates, and what the
-- user attests about a candidate technology for the exit-strategy advisor.

ALTER TABLE technology ADD COLUMN no_other_japanese_subsidy TEXT;
ALTER TABLE technology ADD COLUMN proven_in_japan TEXT;
ALTER TABLE technology ADD COLUMN new_to_partner_country TEXT;
ALTER TABLE technology ADD COLUMN needs_customisation TEXT;

CREATE TABLE estimate (
  id TEXT PRIMARY KEY,
  study_id TEXT, technology_id TEXT, title TEXT, methodology TEXT, durable_years INTEGER,
  capex TEXT, eligible_cost TEXT, opex_per_year TEXT, savings_per_year TEXT, currency TEXT,
  discount_rate TEXT, finance_years INTEGER, similar_projects INTEGER,
  jcm_edition TEXT, jfjcm_edition TEXT,
  notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX estimate_study ON estimate(study_id);

CREATE TABLE estimate_input (
  id TEXT PRIMARY KEY,
  estimate_id TEXT, name TEXT, value TEXT, measurement_id TEXT, source TEXT, monitoring TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX estimate_input_estimate ON estimate_input(estimate_id);

CREATE TABLE exchange_rate (
  id TEXT PRIMARY KEY,
  from_currency TEXT, to_currency TEXT, rate TEXT, date TEXT, source TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
