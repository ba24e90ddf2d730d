-- Stage table counts: per stage (in rank order), the customers who reached it, those who reached it at or
-- after their first event in the previous stage (converted) with the median time between the two first
-- events (microseconds), its events and the events that ended a session there; all_customers is the base.
WITH journey AS ({journey}), firsts AS (
    SELECT customer_id, stage_rank, min(customer_position) AS first_position, min(timestamp) AS first_time
    FROM journey WHERE stage_rank IS NOT NULL
    GROUP BY customer_id, stage_rank
), onward AS (
    SELECT previous.customer_id, journey.stage_rank, min(previous.first_time) AS since,
           min(journey.timestamp) AS reached_time
    FROM firsts AS previous
    JOIN journey ON journey.customer_id = previous.customer_id AND journey.stage_rank = previous.stage_rank + 1
                AND journey.customer_position >= previous.first_position
    GROUP BY previous.customer_id, journey.stage_rank
), reached AS (
    SELECT stage_rank, count(*) AS customers FROM firsts GROUP BY stage_rank
), converted AS (
    SELECT stage_rank, count(*) AS converted, median(date_diff('microsecond', since, reached_time)) AS median_us
    FROM onward GROUP BY stage_rank
), visits AS (
    SELECT stage_rank, count(*) AS events, count(CASE WHEN ends THEN 1 END) AS exits
    FROM journey WHERE stage_rank IS NOT NULL GROUP BY stage_rank
), ranks AS (
    SELECT stage, rank AS stage_rank FROM stage_order
    UNION
    SELECT DISTINCT stage, stage_rank FROM journey WHERE stage_rank IS NOT NULL
)
SELECT ranks.stage, ranks.stage_rank, coalesce(reached.customers, 0) AS customers,
       coalesce(converted.converted, 0) AS converted, converted.median_us,
       coalesce(visits.events, 0) AS events, coalesce(visits.exits, 0) AS exits,
       (SELECT count(DISTINCT customer_id) FROM journey) AS all_customers
FROM ranks
LEFT JOIN reached ON reached.stage_rank = ranks.stage_rank
LEFT JOIN converted ON converted.stage_rank = ranks.stage_rank
LEFT JOIN visits ON visits.stage_rank = ranks.stage_rank
ORDER BY ranks.stage_rank
