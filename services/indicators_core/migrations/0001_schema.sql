-- depends:
-- The schema of record. Works on plain PostgreSQL; 0002 turns the series
-- tables into hypertables where TimescaleDB is installed.

-- The current report for each zone, indicator and month (a later report replaces
-- an earlier one). Values are in the indicator's catalog unit.
CREATE TABLE observations (
    zone            text        NOT NULL,
    indicator       text        NOT NULL,
    period          date        NOT NULL,  -- first day of the month
    basis           text        NOT NULL CHECK (basis IN ('ytd', 'month')),
    value           numeric     NOT NULL,
    yoy_base        numeric,               -- 上年同期可比数, when the upstream sent it
    reported_value  numeric     NOT NULL,  -- as sent, before unit conversion
    reported_unit   text        NOT NULL,
    source          text        NOT NULL,  -- who posted it (API key name)
    batch_id        uuid        NOT NULL,
    row_index       integer     NOT NULL,
    reported_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, indicator, period)
);

-- Every report ever accepted, replaced or not: who changed a figure and when.
CREATE TABLE observation_revisions (
    zone            text        NOT NULL,
    indicator       text        NOT NULL,
    period          date        NOT NULL,
    basis           text        NOT NULL,
    value           numeric     NOT NULL,
    yoy_base        numeric,
    reported_value  numeric     NOT NULL,
    reported_unit   text        NOT NULL,
    source          text        NOT NULL,
    batch_id        uuid        NOT NULL,
    row_index       integer     NOT NULL,
    reported_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, indicator, period, batch_id, row_index)
);

CREATE TABLE targets (
    zone            text        NOT NULL,
    indicator       text        NOT NULL,
    year            integer     NOT NULL,
    value           numeric     NOT NULL,
    reported_value  numeric     NOT NULL,
    reported_unit   text        NOT NULL,
    source          text        NOT NULL,
    batch_id        uuid        NOT NULL,
    row_index       integer     NOT NULL,
    reported_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, indicator, year)
);

CREATE TABLE target_revisions (
    zone            text        NOT NULL,
    indicator       text        NOT NULL,
    year            integer     NOT NULL,
    value           numeric     NOT NULL,
    reported_value  numeric     NOT NULL,
    reported_unit   text        NOT NULL,
    source          text        NOT NULL,
    batch_id        uuid        NOT NULL,
    row_index       integer     NOT NULL,
    reported_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, indicator, year, batch_id, row_index)
);

-- Derived figures per zone, indicator and month: what boards and alerts read.
-- Percentages are numbers (8.2 means 8.2%), kept to 12 decimals so that one
-- rounding for display is exact; NULL means unknown, never zero.
CREATE TABLE progress (
    zone                text        NOT NULL,
    indicator           text        NOT NULL,
    period              date        NOT NULL,
    year                integer     NOT NULL,
    month               integer     NOT NULL CHECK (month BETWEEN 1 AND 12),
    ytd_value           numeric,
    month_value         numeric,
    ytd_last_year       numeric,
    month_last_year     numeric,
    yoy_base            numeric,
    yoy_base_comparable boolean     NOT NULL DEFAULT false,
    yoy_pct             numeric,
    month_yoy_pct       numeric,
    target_value        numeric,
    completion_pct      numeric,
    time_progress_pct   numeric     NOT NULL,
    progress_gap_pp     numeric,
    on_track            boolean,
    reported_at         timestamptz,
    computed_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, indicator, period)
);

CREATE INDEX progress_year_month_idx ON progress (year, month);
CREATE INDEX observations_period_idx ON observations (period);
