-- The sessionised events ("journey"): cxresearch.sessions' definition in SQL.
-- Each customer's events in time order (ties by event_row, the file order, when the table
-- has it, else by touchpoint, then channel), cut where the customer or the
-- session_id changes (a missing id is a value of its own) or where more than $gap_us microseconds pass
-- (never between two events that both carry an id when $trust_ids). {session_id}, {stage}, {value} and
-- {event} are the columns, or NULL where the table lacks them; stage_order(stage, rank) ranks the stages.
WITH ordered AS (
    SELECT customer_id, timestamp, channel, touchpoint, {session_id} AS session_id, {stage} AS stage,
           {value} AS value, {event} AS event,
           row_number() OVER (PARTITION BY customer_id ORDER BY timestamp, {tie}) AS customer_position
    FROM events
), previous AS (
    SELECT *,
           lag(timestamp) OVER (PARTITION BY customer_id ORDER BY customer_position) AS previous_time,
           lag(session_id) OVER (PARTITION BY customer_id ORDER BY customer_position) AS previous_session_id
    FROM ordered
), cut AS (
    SELECT *, customer_position = 1
              OR session_id IS DISTINCT FROM previous_session_id
              OR (date_diff('microsecond', previous_time, timestamp) > $gap_us
                  AND NOT ($trust_ids AND session_id IS NOT NULL AND previous_session_id IS NOT NULL)) AS starts
    FROM previous
), numbered AS (
    SELECT *, count(CASE WHEN starts THEN 1 END) OVER (
                  PARTITION BY customer_id ORDER BY customer_position ROWS UNBOUNDED PRECEDING) AS session
    FROM cut
), ranked AS (
    SELECT numbered.*, coalesce(stage_order.rank, (SELECT count(*) FROM stage_order) + dense_rank() OVER (
               PARTITION BY stage_order.rank IS NULL AND numbered.stage IS NOT NULL ORDER BY numbered.stage)) AS stage_rank
    FROM numbered LEFT JOIN stage_order ON numbered.stage = stage_order.stage
)
SELECT customer_id, session, customer_position, timestamp, channel, touchpoint, session_id, value, event, stage,
       CASE WHEN stage IS NULL THEN NULL ELSE stage_rank END AS stage_rank,
       lead(session) OVER (PARTITION BY customer_id ORDER BY customer_position) IS DISTINCT FROM session AS ends
FROM ranked
