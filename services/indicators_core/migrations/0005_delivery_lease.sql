-- depends: 0003_alerts
-- The notifier claims a due delivery by setting a lease instead of holding a
-- transaction open across the HTTP or SMTP call: a notifier that dies mid-send
-- leaves a lease that expires, and the delivery is tried again (at least once).
ALTER TABLE deliveries
    ADD COLUMN claimed_until   timestamptz,  -- a notifier is sending it until then
    ADD COLUMN last_attempt_at timestamptz;

-- Deliveries to one subscriber go out in order: only its oldest pending alert
-- digest is eligible (the notifier's claim looks it up by this index).
CREATE INDEX deliveries_pending_by_subscription_idx
    ON deliveries (subscription_id, id) WHERE status = 'pending';

-- The API lists a subscription's deliveries, newest first.
CREATE INDEX deliveries_subscription_idx ON deliveries (subscription_id, id DESC);
