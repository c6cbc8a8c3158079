-- depends: 0004_catalog_table 0005_delivery_lease
-- Subscriptions hold signing secrets and robot URLs whose query strings are
-- access tokens. Grafana's read-only role (deploy/timescaledb/init) is granted
-- SELECT on every table by default privileges; it has no use for these, and a
-- query typed into a Grafana panel must not be able to read them.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        REVOKE ALL ON subscriptions FROM grafana_reader;
    END IF;
END
$$;
