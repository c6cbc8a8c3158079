-- depends: 0009_growth_quarterly
-- Major projects (PUT /v1/projects, docs/projects.md): the operations centre's supervision list (清单式管理).
--
-- projects holds each project's current version: a later report of an id replaces it, by (reported_at, batch_id,
-- row_index) as every report does, so the order the processor sees them in does not matter. Stage dates are
-- columns of their own (<stage>_on, planned_<stage>_on), not a JSON object, so that the boards' SQL and the reads
-- filter and subtract them as dates. Amounts are in 亿元 (the catalog unit of investment), converted exactly.
-- Plain tables, no hypertables: a zone has tens or hundreds of projects, there is no time dimension to partition on.
CREATE TABLE IF NOT EXISTS projects (
    id                          text        PRIMARY KEY,  -- the upstream's id, unique across the list
    zone                        text        NOT NULL,
    name                        text        NOT NULL,
    tier                        text        CHECK (tier IN ('province', 'city', 'zone')),
    industry                    text,
    total_investment            numeric     NOT NULL,      -- 亿元
    reported_total_investment   numeric     NOT NULL,
    reported_unit               text        NOT NULL,
    meeting_on                  date,
    signed_on                   date,
    registered_on               date,
    land_on                     date,
    start_on                    date,
    completion_on               date,
    production_on               date,
    planned_meeting_on          date,
    planned_signed_on           date,
    planned_registered_on       date,
    planned_land_on             date,
    planned_start_on            date,
    planned_completion_on       date,
    planned_production_on       date,
    annual_plan_investment      jsonb       NOT NULL DEFAULT '{}',  -- {"2023": "12.5"}: 年度计划投资, 亿元
    source                      text        NOT NULL,
    batch_id                    uuid        NOT NULL,
    row_index                   integer     NOT NULL,
    reported_at                 timestamptz NOT NULL,
    stored_at                   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS projects_zone_idx ON projects (zone);

-- Every accepted version of every project, as it was sent (its completed investment rows too), with its source and
-- time. What a version changed is the difference with the version before it in the same order (the query service
-- says it: indicators_core.projects.version_changes), so that it is right however late a version arrived.
CREATE TABLE IF NOT EXISTS project_versions (
    id                          text        NOT NULL,
    zone                        text        NOT NULL,
    name                        text        NOT NULL,
    tier                        text,
    industry                    text,
    total_investment            numeric     NOT NULL,
    reported_total_investment   numeric     NOT NULL,
    reported_unit               text        NOT NULL,
    stages                      jsonb       NOT NULL,   -- {"signed": "2023-01-10", …}: the dated stages
    planned                     jsonb       NOT NULL,
    annual_plan_investment      jsonb       NOT NULL DEFAULT '{}',
    completed_investment        jsonb       NOT NULL DEFAULT '[]',
    source                      text        NOT NULL,
    batch_id                    uuid        NOT NULL,
    row_index                   integer     NOT NULL,
    reported_at                 timestamptz NOT NULL,
    stored_at                   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, batch_id, row_index)
);

-- A project's completed investment (完成投资) per month, 亿元, 本年累计 (ytd) or 当月 (month) as sent. A month sent
-- again replaces that month (the same order as every report); months a later version does not carry are kept.
CREATE TABLE IF NOT EXISTS project_investment (
    project_id      text        NOT NULL,
    year            integer     NOT NULL,
    month           integer     NOT NULL CHECK (month BETWEEN 1 AND 12),
    basis           text        NOT NULL CHECK (basis IN ('ytd', 'month')),
    value           numeric     NOT NULL,
    reported_value  numeric     NOT NULL,
    reported_unit   text        NOT NULL,
    source          text        NOT NULL,
    batch_id        uuid        NOT NULL,
    row_index       integer     NOT NULL,
    reported_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, year, month)
);
