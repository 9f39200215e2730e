-- Each device's pushes of the last minute, kept in the database so that
-- hub processes sharing it count one rate per device, as one hub would.
-- Rows older than a minute are deleted as the device pushes again.
CREATE TABLE push_log (
    actor TEXT   NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX push_log_actor ON push_log (actor, at_ms);
