-- Intervention arms: per customer (a survey without one is a customer of its own), arm ("scope" when the
-- answer's {place} is $scope, else "comparison") and time bin of width $bin_us microseconds from
-- $before_start (the last bin, $last_bin, runs to $after_end), the answers and the sum of their {score}.
-- The cluster bootstrap of cxresearch.interventions resamples these cells.
WITH observed AS (
    SELECT coalesce(CAST(customer_id AS VARCHAR), 'response ' || CAST(response_id AS VARCHAR)) AS customer,
           CASE WHEN {place} = $scope THEN 'scope' ELSE 'comparison' END AS arm,
           least(CAST(floor(date_diff('microsecond', CAST($before_start AS TIMESTAMP), timestamp) / $bin_us)
                      AS BIGINT), $last_bin) AS bin,
           {score} AS score
    FROM surveys
    WHERE {place} IS NOT NULL AND {score} IS NOT NULL
      AND timestamp >= CAST($before_start AS TIMESTAMP) AND timestamp < CAST($after_end AS TIMESTAMP)
)
SELECT customer, arm, bin, count(*) AS n, sum(score) AS total
FROM observed
GROUP BY customer, arm, bin
ORDER BY customer, arm, bin
