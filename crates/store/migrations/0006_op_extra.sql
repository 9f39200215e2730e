-- Fieldbook schema v6: fields that a newer Fieldbook adds to ops are stored
-- with them (JSON object), so this build keeps and relays them intact.
ALTER TABLE change ADD COLUMN extra TEXT;
