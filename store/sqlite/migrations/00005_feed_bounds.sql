-- +goose Up
-- The revocation feed's bounds (gatehouse.FeedBounds): floor, below which
-- no entry is stored any more, and purged_max, the highest cursor Purge
-- ever removed, so that the head (the highest cursor handed out) is known
-- after Purge removed the newest entries too. Existing entries below the
-- lowest one still stored were purged or replaced: the floor starts below
-- it, or at the last cursor handed out when there is none.
CREATE TABLE feed_bounds (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    floor      INTEGER NOT NULL,
    purged_max INTEGER NOT NULL
) STRICT;
INSERT INTO feed_bounds (id, floor, purged_max) VALUES (1,
    COALESCE((SELECT MIN(cursor) - 1 FROM revocations), (SELECT seq FROM sqlite_sequence WHERE name = 'revocations'), 0),
    COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'revocations'), 0));

-- +goose Down
DROP TABLE feed_bounds;
