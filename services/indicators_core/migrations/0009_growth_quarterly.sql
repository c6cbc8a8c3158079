-- depends: 0007_explanations
-- Growth-rate targets, growth-only reports and the growth judgement (issue 9, parts 2 and 3).
--
-- Growth targets (增长X%以上) get tables of their own rather than a `kind` column on `targets`: every
-- reader of `targets` (the boards' "本月未报送" rows, the zone detail's target path) means an annual
-- amount, and a rate of 10 read as 10亿元 would be a wrong figure, silently. A series may have both
-- for a year. Every accepted growth target is kept in growth_target_revisions with its source and time.
CREATE TABLE IF NOT EXISTS growth_targets (
    zone            text        NOT NULL,
    indicator       text        NOT NULL,
    year            integer     NOT NULL,
    value_pct       numeric     NOT NULL,  -- 10 for 增长10%以上
    source          text        NOT NULL,
    batch_id        uuid        NOT NULL,
    row_index       integer     NOT NULL,
    reported_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, indicator, year)
);

CREATE TABLE IF NOT EXISTS growth_target_revisions (
    zone            text        NOT NULL,
    indicator       text        NOT NULL,
    year            integer     NOT NULL,
    value_pct       numeric     NOT NULL,
    source          text        NOT NULL,
    batch_id        uuid        NOT NULL,
    row_index       integer     NOT NULL,
    reported_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, indicator, year, batch_id, row_index)
);

-- A growth-only report ("进出口总额增速97.5%") carries the published rate and no amount. Plain column
-- changes: on TimescaleDB hypertables (0002) ALTER TABLE … DROP NOT NULL / ADD COLUMN work the same way.
ALTER TABLE observations ALTER COLUMN value DROP NOT NULL;
ALTER TABLE observations ALTER COLUMN reported_value DROP NOT NULL;
ALTER TABLE observations ADD COLUMN IF NOT EXISTS reported_yoy_pct numeric;
ALTER TABLE observation_revisions ALTER COLUMN value DROP NOT NULL;
ALTER TABLE observation_revisions ALTER COLUMN reported_value DROP NOT NULL;
ALTER TABLE observation_revisions ADD COLUMN IF NOT EXISTS reported_yoy_pct numeric;

-- The growth judgement next to the schedule judgement; yoy_source says whether yoy_pct was computed
-- from the amounts or is the upstream's published rate. Quarterly series are stored at each quarter's
-- last month (1季度 = month 3): time progress 3n/12 = n/4, and the month filters of every reader work.
ALTER TABLE progress ADD COLUMN IF NOT EXISTS yoy_source text CHECK (yoy_source IN ('computed', 'reported'));
ALTER TABLE progress ADD COLUMN IF NOT EXISTS reported_yoy_pct numeric;
ALTER TABLE progress ADD COLUMN IF NOT EXISTS growth_target_pct numeric;
ALTER TABLE progress ADD COLUMN IF NOT EXISTS growth_gap_pp numeric;
ALTER TABLE progress ADD COLUMN IF NOT EXISTS growth_on_track boolean;
