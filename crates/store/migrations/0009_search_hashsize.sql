-- FTS5 keeps the terms of a transaction in memory up to 'hashsize' bytes
-- before it writes them as a segment, which it then merges with the others.
-- A bundle import indexes thousands of records in one transaction: with
-- the default 1 MB the trigram index is flushed and merged dozens of times
-- (100,000 ops: ~200 ms of the import); with 64 MB, once at commit (~140 ms).
INSERT INTO search (search, rank) VALUES ('hashsize', 67108864);
