-- Where an imported visit or finding came from ("KoboToolbox uuid:…"):
-- the submission's own stable id, kept on what it created so a user can
-- trace a record back to the phone survey it came from.
ALTER TABLE visit ADD COLUMN source TEXT;
ALTER TABLE finding ADD COLUMN source TEXT;
