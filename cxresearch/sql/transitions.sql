-- Transitions: two consecutive events inside one session, counted per (from, to) touchpoint pair,
-- with the customers who made them and the median time between the two events (microseconds).
WITH journey AS ({journey}), steps AS (
    SELECT customer_id, session, touchpoint AS from_touchpoint,
           lead(touchpoint) OVER (PARTITION BY customer_id ORDER BY customer_position) AS to_touchpoint,
           lead(session) OVER (PARTITION BY customer_id ORDER BY customer_position) AS next_session,
           date_diff('microsecond', timestamp,
                     lead(timestamp) OVER (PARTITION BY customer_id ORDER BY customer_position)) AS gap_us
    FROM journey
)
SELECT from_touchpoint, to_touchpoint, count(*) AS count, count(DISTINCT customer_id) AS customers,
       median(gap_us) AS median_us
FROM steps
WHERE next_session = session
GROUP BY from_touchpoint, to_touchpoint
ORDER BY count DESC, from_touchpoint, to_touchpoint
