-- +goose Up
-- The revocation feed's bounds (gatehouse.FeedBounds): floor, below which
-- no entry is stored any more, and purged_max, the highest cursor Purge
-- ever removed, so that the head (the highest cursor committed) is known
-- after Purge removed the newest entries too. Read under the feed lock
-- (locks.go), so that no feed write is in flight: the sequence's last
-- value is then a cursor committed, or one that never will be.
SELECT pg_advisory_xact_lock(hashtextextended(coalesce(current_schema(), '') || '.gatehouse.feed', 0));
CREATE TABLE feed_bounds (
    id         integer PRIMARY KEY CHECK (id = 1),
    floor      bigint NOT NULL,
    purged_max bigint NOT NULL
);
INSERT INTO feed_bounds (id, floor, purged_max)
SELECT 1,
    COALESCE((SELECT MIN(cursor) - 1 FROM revocations), last, 0),
    GREATEST(COALESCE((SELECT MAX(cursor) FROM revocations), 0), COALESCE(last, 0))
FROM (SELECT pg_sequence_last_value(pg_get_serial_sequence('revocations', 'cursor')::regclass) AS last) s;

-- Every insert into the feed notifies the channel gatehouse_revocations
-- with "schema:highest cursor inserted", delivered at commit to every
-- replica listening (store/postgres/watch.go): that wakes their waiting
-- feed readers at once.
-- +goose StatementBegin
CREATE FUNCTION revocations_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    top bigint;
BEGIN
    SELECT MAX(cursor) INTO top FROM inserted;
    IF top IS NOT NULL THEN
        PERFORM pg_notify('gatehouse_revocations', coalesce(current_schema(), '') || ':' || top);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER revocations_notify AFTER INSERT ON revocations
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION revocations_notify();

-- +goose Down
DROP TRIGGER revocations_notify ON revocations;
DROP FUNCTION revocations_notify();
DROP TABLE feed_bounds;
