-- depends: 0010_catalog_frequency 0010_projects
-- Which rows of an accepted batch are stored (GET /v1/batches on the query service: an upload's "stored and
-- computed" progress). Every stored report is kept in its revisions table with its batch id and row, and the
-- progress it changes is written in the same transaction, so a batch's rows found there are computed too.
-- The revisions' keys begin with the series, so a batch's rows need an index of their own; zone_revisions and
-- project_versions are small enough to read whole.
CREATE INDEX IF NOT EXISTS observation_revisions_batch_idx ON observation_revisions (batch_id);
CREATE INDEX IF NOT EXISTS target_revisions_batch_idx ON target_revisions (batch_id);
CREATE INDEX IF NOT EXISTS growth_target_revisions_batch_idx ON growth_target_revisions (batch_id);
