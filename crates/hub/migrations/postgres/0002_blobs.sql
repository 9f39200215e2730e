-- Photos apart from bundles, sealed under the project key by the laptops
-- (the hub cannot read them), uploaded in chunks so a cut upload resumes.
CREATE TABLE blob (
    project_id        TEXT NOT NULL REFERENCES team (project_id),
    sha256            TEXT NOT NULL,     -- of the photo's content: its name
    length            BIGINT NOT NULL,   -- of the sealed photo, as declared
    ciphertext_sha256 TEXT NOT NULL,     -- of the sealed photo, as declared
    received          BIGINT NOT NULL,
    complete          BOOLEAN NOT NULL DEFAULT FALSE, -- whole, and its hash checked
    PRIMARY KEY (project_id, sha256)
);
CREATE TABLE blob_chunk (
    project_id TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    start      BIGINT NOT NULL,
    bytes      BYTEA NOT NULL,
    PRIMARY KEY (project_id, sha256, start),
    FOREIGN KEY (project_id, sha256) REFERENCES blob (project_id, sha256)
);
