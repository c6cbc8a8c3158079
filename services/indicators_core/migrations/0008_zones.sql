-- depends: 0007_explanations
-- The zone registry (PUT /v1/zones): each zone's Chinese name, level, kind, parent and peer groups.
-- Reports name a zone by its code; a code nobody registered is still stored and computed (existing
-- upstreams keep working), it only has no name, parent or group. A later report of a code replaces it
-- (by reported_at, batch_id, row_index, as observations do); every report is kept in zone_revisions with
-- its source and time. Plain tables, no hypertables: a few hundred rows, no time dimension to partition on,
-- so the same DDL serves PostgreSQL and TimescaleDB (0002).
CREATE TABLE IF NOT EXISTS zones (
    code         text        PRIMARY KEY,
    name_zh      text        NOT NULL,
    level        text        NOT NULL CHECK (level IN ('national', 'provincial', 'other')),
    kind         text        NOT NULL,
    -- Not a foreign key: a batch may register a child before its parent, and replacing a parent must not
    -- cascade; ingest checks that a parent is registered or in the same batch.
    parent       text,
    groups       text[]      NOT NULL DEFAULT '{}',
    source       text        NOT NULL,
    batch_id     uuid        NOT NULL,
    row_index    integer     NOT NULL,
    reported_at  timestamptz NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS zones_parent_idx ON zones (parent);
CREATE INDEX IF NOT EXISTS zones_groups_idx ON zones USING gin (groups);

CREATE TABLE IF NOT EXISTS zone_revisions (
    code         text        NOT NULL,
    name_zh      text        NOT NULL,
    level        text        NOT NULL,
    kind         text        NOT NULL,
    parent       text,
    groups       text[]      NOT NULL DEFAULT '{}',
    source       text        NOT NULL,
    batch_id     uuid        NOT NULL,
    row_index    integer     NOT NULL,
    reported_at  timestamptz NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, batch_id, row_index)
);
