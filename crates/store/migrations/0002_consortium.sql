-- Fieldbook schema v2: the international consortium of a study (members with
-- roles and the GB Table 7 duties), the planned credit allocation, and the
-- year-by-year activity timeline.

CREATE TABLE member (
  id TEXT PRIMARY KEY,
  study_id TEXT, org_id TEXT, consortium_role TEXT,
  duty_a_methodology TEXT, duty_b_validation_verification TEXT, duty_c_monitoring TEXT,
  duty_d_reporting TEXT, duty_e_registration TEXT, duty_f_issuance TEXT,
  duty_g_equipment_care TEXT, duty_h_member_changes TEXT,
  notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX member_study ON member(study_id);

CREATE TABLE credit_share (
  id TEXT PRIMARY KEY,
  study_id TEXT, party TEXT, org_id TEXT, percent TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX credit_share_study ON credit_share(study_id);

CREATE TABLE activity (
  id TEXT PRIMARY KEY,
  study_id TEXT, year INTEGER, activity_kind TEXT, title TEXT, date TEXT, stage TEXT,
  partner_city_role TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT
) STRICT;
CREATE INDEX activity_study ON activity(study_id);
