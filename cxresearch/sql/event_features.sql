-- Per-customer behavioural features (cxresearch.features.event_features) with cxresearch.sessions' session cut.
-- The events narrowed to numbers (channel and stage codes, purchase, paid value and service flags); one window over
-- each customer's events in time order (ties by {{tie}}) whose lag of time, session id and channel flags where a
-- session starts (as journey.sql: $gap_us, $trust_ids) and where the channel changes inside a session; one GROUP BY
-- customer. A session is cross-channel when it holds a channel change; it is counted at its first change: the
-- change whose latest preceding start-or-change is its session's start (a second window: last_value ignoring
-- nulls). {{session_id}}, {{tie}}, {{channel_code}}, {{stage_code}}, {{purchase}}, {{paid}}, {{service}} and
-- {{per_value}} are filled in by cxresearch.sql.event_features_query.
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
), marked AS (
    SELECT *,
           last_value(CASE WHEN new_session = 1 OR channel_change = 1 THEN new_session END IGNORE NULLS) OVER (
               PARTITION BY customer_id ORDER BY timestamp, {tie}
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_start
    FROM flagged
)
SELECT customer_id, count(*) AS n_events, sum(new_session) AS n_sessions,
       min(timestamp) AS first, max(timestamp) AS last, sum(purchase) AS n_purchases,
       sum(paid) AS spend, sum(service) AS service_contacts{per_value},
       CAST(sum(CASE WHEN channel_change = 1 AND new_session = 0 AND previous_start = 1 THEN 1 ELSE 0 END) AS DOUBLE)
           / sum(new_session) AS cross_channel_sessions
FROM marked
GROUP BY customer_id
