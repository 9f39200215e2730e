-- Redo: a batch that takes back an undo. Undo picks the newest action or
-- redo not yet undone; redo the newest undo not yet redone.
ALTER TABLE batch ADD COLUMN redo INTEGER NOT NULL DEFAULT 0;
