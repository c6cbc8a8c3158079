-- depends: 0006_subscriptions_private
-- A report whose figures look implausible at ingest (plausibility.toml) is accepted
-- only with the sender's explanation; it is kept with the current report and with
-- every revision, with the warnings it answers. Plain nullable columns: on
-- TimescaleDB hypertables (0002) ALTER TABLE ADD COLUMN works the same way.
ALTER TABLE observations ADD COLUMN IF NOT EXISTS explanation text;
ALTER TABLE observations ADD COLUMN IF NOT EXISTS explained_warnings jsonb;
ALTER TABLE observation_revisions ADD COLUMN IF NOT EXISTS explanation text;
ALTER TABLE observation_revisions ADD COLUMN IF NOT EXISTS explained_warnings jsonb;
