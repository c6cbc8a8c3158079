-- depends: 0008_zones 0009_growth_quarterly
-- How often each indicator is published (the catalog's `frequency`: 'month', or 'quarter' for gdp), in the
-- catalog's table, for readers that see only the database: the boards say a quarterly indicator's period as
-- bulletins do (2026年一季度 / 上半年, the 当前预警 期间 as alerts.model.period_zh says it), and do not list a
-- quarterly target as 本月未报送 in a month that is no quarter's end. Rewritten from the catalog file at every
-- start like the other columns (indicators_core.db.sync_catalog); the default keeps rows written before this
-- migration, and by an older service, monthly. No CHECK: the catalog file validates the vocabulary, and a
-- constraint here would stop every service's start on a frequency the file learns later.
-- A plain table on PostgreSQL and TimescaleDB alike (0004); IF NOT EXISTS keeps a second run a no-op.
ALTER TABLE indicator_catalog ADD COLUMN IF NOT EXISTS frequency text NOT NULL DEFAULT 'month';
