-- Per-customer behavioural features (cxresearch.features.event_features) with cxresearch.sessions' session cut.
-- The events narrowed to numbers (channel and stage codes, purchase, paid value and service flags); one window over
-- each customer's events in time order (ties by {{tie}}) whose lag of time, session id and channel flags where a
-- session starts (as journey.sql: $gap_us, $trust_ids) and where the channel changes inside a session; one GROUP BY
-- customer. A session is cross-channel when it holds a channel change; of the session starts and channel changes
-- in journey order, its first change is the one right after its start. {{session_id}}, {{tie}}, {{channel_code}},
-- {{stage_code}}, {{purchase}}, {{paid}}, {{service}} and {{per_value}} are filled in by cxresearch.sql.event_features_query.
WITH narrow AS (
    SELECT customer_id, timestamp, {tie}, {session_id} AS session_id, {channel_code} AS channel_code,
           {stage_code} AS stage_code,
           CASE WHEN {purchase} THEN 1 ELSE 0 END AS purchase,
           CASE WHEN {purchase} THEN {paid} ELSE 0 END AS paid,
           CASE WHEN {service} THEN 1 ELSE 0 END AS service
    FROM events
), previous AS (
    SELECT *,
           lag(timestamp) OVER journey AS previous_time,
           lag(session_id) OVER journey AS previous_session_id,
           lag(channel_code) OVER journey AS previous_channel
    FROM narrow
    WINDOW journey AS (PARTITION BY customer_id ORDER BY timestamp, {tie})
), flagged AS (
    SELECT customer_id, timestamp, {tie}, channel_code, stage_code, purchase, paid, service,
           CASE WHEN previous_time IS NULL
                     OR session_id IS DISTINCT FROM previous_session_id
                     OR (date_diff('microsecond', previous_time, timestamp) > $gap_us
                         AND NOT ($trust_ids AND session_id IS NOT NULL AND previous_session_id IS NOT NULL))
                THEN 1 ELSE 0 END AS new_session,
           CASE WHEN channel_code <> previous_channel THEN 1 ELSE 0 END AS channel_change
    FROM previous
), per_customer AS (
    SELECT customer_id, count(*) AS n_events, sum(new_session) AS n_sessions,
           min(timestamp) AS first, max(timestamp) AS last, sum(purchase) AS n_purchases,
           sum(paid) AS spend, sum(service) AS service_contacts{per_value}
    FROM flagged
    GROUP BY customer_id
), cross_channel AS (
    SELECT customer_id, sum(CASE WHEN new_session = 0 AND previous_start = 1 THEN 1 ELSE 0 END) AS sessions
    FROM (SELECT customer_id, new_session,
                 lag(new_session) OVER (PARTITION BY customer_id ORDER BY timestamp, {tie}) AS previous_start
          FROM flagged
          WHERE new_session = 1 OR channel_change = 1) AS starts_and_changes
    GROUP BY customer_id
)
SELECT per_customer.*, CAST(cross_channel.sessions AS DOUBLE) / n_sessions AS cross_channel_sessions
FROM per_customer JOIN cross_channel ON per_customer.customer_id = cross_channel.customer_id
