-- depends: 0001_schema
-- Where TimescaleDB is installed (the timescale/timescaledb image), series
-- tables become hypertables partitioned by period; on plain PostgreSQL this
-- migration changes nothing, so the same schema serves both.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS timescaledb;
        EXCEPTION WHEN others THEN
            RAISE NOTICE 'timescaledb is available but cannot be loaded (%); plain tables are used', SQLERRM;
        END;
    END IF;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        PERFORM create_hypertable('observations', 'period',
            chunk_time_interval => INTERVAL '1 year', if_not_exists => true, migrate_data => true);
        PERFORM create_hypertable('observation_revisions', 'period',
            chunk_time_interval => INTERVAL '1 year', if_not_exists => true, migrate_data => true);
        PERFORM create_hypertable('progress', 'period',
            chunk_time_interval => INTERVAL '1 year', if_not_exists => true, migrate_data => true);
    END IF;
END
$$;
