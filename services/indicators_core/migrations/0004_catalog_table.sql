-- depends: 0003_alerts
-- The indicator catalog as a table, for readers that see only the database
-- (Grafana boards join it for Chinese names and units). It is a projection of
-- the catalog file (indicators.toml, the one source of truth): every service's
-- start rewrites it after migrating (indicators_core.db.sync_catalog), so it is
-- never edited by hand.
CREATE TABLE indicator_catalog (
    code       text    PRIMARY KEY,
    name_zh    text    NOT NULL,
    unit       text    NOT NULL,
    part_of    text,
    position   integer NOT NULL  -- order in the catalog file: boards list indicators in this order
);
