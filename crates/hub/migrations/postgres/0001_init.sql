-- The team hub's PostgreSQL store, version 1: several hub processes may
-- share it. Bundles are kept as pushed (encrypted, signed): the hub holds
-- no project key.
CREATE TABLE code (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('admin', 'device')),
    hash       TEXT NOT NULL,            -- Argon2id PHC string of the secret
    project_id TEXT,                     -- the team a device code is for
    expires_at BIGINT NOT NULL,          -- unix seconds
    spent_at   BIGINT
);
CREATE TABLE challenge (
    challenge  TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE TABLE team (
    project_id     TEXT PRIMARY KEY,
    project_key_id TEXT NOT NULL,
    admin_actor    TEXT NOT NULL,
    admin_key      TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
-- The signed roster as a set: entries are only ever added.
CREATE TABLE roster_entry (
    id         BIGSERIAL,                -- arrival order
    project_id TEXT NOT NULL REFERENCES team (project_id),
    sig        TEXT NOT NULL,
    entry      TEXT NOT NULL,            -- JSON of the RosterEntry
    PRIMARY KEY (project_id, sig)
);
CREATE TABLE token (
    hash       TEXT PRIMARY KEY,         -- SHA-256 of the bearer token
    project_id TEXT NOT NULL REFERENCES team (project_id),
    actor      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX token_by_device ON token (project_id, actor);
CREATE TABLE bundle (
    seq         BIGSERIAL PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES team (project_id),
    bundle_id   TEXT NOT NULL,
    part        BIGINT NOT NULL,
    sender      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    bytes       BYTEA NOT NULL,
    UNIQUE (project_id, bundle_id, part)
);
CREATE TABLE bundle_range (
    bundle_seq BIGINT NOT NULL REFERENCES bundle (seq),
    project_id TEXT NOT NULL,
    actor      TEXT NOT NULL,
    from_seq   BIGINT NOT NULL,
    to_seq     BIGINT NOT NULL
);
CREATE INDEX bundle_range_by_actor ON bundle_range (project_id, actor, to_seq);
