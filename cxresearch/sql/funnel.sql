-- Funnel counts: customers who went through the steps in order, as JourneyMap.funnel counts them. Step 1 is a
-- customer's first event matching it; each later step is the customer's first matching event strictly after the
-- previous step's event (in journey order), and, with $within_us, no later than that after step 1's time.
-- {{flags}} marks, over the whole journey, which step names are stages and touchpoints (labels); {{matches}} says,
-- per event, which steps it matches (m_1, m_2, ...); {{steps}} chains step_2, step_3, ... and {{counts}} gives
-- per step the customers and the median microseconds from the previous step.
WITH journey AS ({journey}), labels AS (
    SELECT {flags} FROM journey
), matched AS (
    SELECT journey.customer_id, journey.customer_position, journey.timestamp, {matches}
    FROM journey CROSS JOIN labels
), step_1 AS (
    SELECT customer_id, min(customer_position) AS position, min(timestamp) AS reached, min(timestamp) AS started,
           CAST(NULL AS TIMESTAMP) AS since
    FROM matched WHERE m_1 GROUP BY customer_id
){steps}
SELECT counts.*, labels.*
FROM ({counts}) AS counts CROSS JOIN labels
ORDER BY step
