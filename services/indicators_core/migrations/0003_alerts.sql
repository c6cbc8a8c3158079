-- depends: 0002_timescale
-- Alerts on the computed results, who subscribes to them, and the outbox that
-- delivers them. Plain tables on both PostgreSQL and TimescaleDB: they are
-- small, keyed by identity rather than time, and need foreign keys.

-- The current state of every alert ever raised. Identity is rule + zone +
-- indicator + period; `version` grows by one with each transition, so a
-- replayed evaluation that changes nothing writes nothing.
CREATE TABLE alerts (
    rule        text        NOT NULL,
    zone        text        NOT NULL,
    indicator   text        NOT NULL,
    -- First day of the month the alert is about; January 1 for the year-to-date
    -- rules (behind_schedule, negative_growth): one alert per year, following its latest month.
    period      date        NOT NULL,
    state       text        NOT NULL CHECK (state IN ('firing', 'resolved')),
    severity    text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    version     integer     NOT NULL CHECK (version >= 1),
    message     text        NOT NULL,  -- Chinese, with the figures, as subscribers read it
    figures     jsonb       NOT NULL,  -- the numbers behind the message, exact decimals as strings
    fired_at    timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    resolved_at timestamptz,
    PRIMARY KEY (rule, zone, indicator, period)
);
CREATE INDEX alerts_firing_idx ON alerts (period) WHERE state = 'firing';

-- Every transition (fired, escalated, deescalated, resolved): the history, and
-- what deliveries point at.
CREATE TABLE alert_events (
    rule        text        NOT NULL,
    zone        text        NOT NULL,
    indicator   text        NOT NULL,
    period      date        NOT NULL,
    version     integer     NOT NULL,
    transition  text        NOT NULL CHECK (transition IN ('fired', 'escalated', 'deescalated', 'resolved')),
    severity    text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    message     text        NOT NULL,
    figures     jsonb       NOT NULL,
    occurred_at timestamptz NOT NULL,
    -- Set once the event is on the alerts topic; the evaluator publishes again
    -- what a crash between commit and publish left NULL.
    published_at timestamptz,
    PRIMARY KEY (rule, zone, indicator, period, version)
);
CREATE INDEX alert_events_unpublished_idx ON alert_events (occurred_at) WHERE published_at IS NULL;

-- Who wants which alerts, and where. NULL filters mean "all".
CREATE TABLE subscriptions (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL,
    channel      text        NOT NULL CHECK (channel IN ('webhook', 'dingtalk', 'wecom', 'email')),
    target       text        NOT NULL,  -- URL, or e-mail address
    secret       text,                  -- HMAC key (webhook) or robot signing secret (dingtalk)
    zones        text[],
    indicators   text[],
    rules        text[],
    min_severity text        NOT NULL CHECK (min_severity IN ('info', 'warning', 'critical')),
    paused       boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The outbox: one row per message to one subscriber (a digest of one or more
-- alert events, or a test message). Written in the same transaction as the
-- alert transitions, so a crash between firing and sending loses nothing.
CREATE TABLE deliveries (
    id              bigserial   PRIMARY KEY,
    subscription_id uuid        NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    kind            text        NOT NULL CHECK (kind IN ('alerts', 'test')),
    status          text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE delivery_items (
    delivery_id bigint  NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    rule        text    NOT NULL,
    zone        text    NOT NULL,
    indicator   text    NOT NULL,
    period      date    NOT NULL,
    version     integer NOT NULL,
    PRIMARY KEY (delivery_id, rule, zone, indicator, period, version),
    FOREIGN KEY (rule, zone, indicator, period, version) REFERENCES alert_events
);
