-- KPI counts per group: the sufficient statistics of NPS (promoters, detractors of the answers), CSAT
-- (top-2-box answers of 4-5, sum and sum of squares) and CES (sum and sum of squares), answers and
-- respondents. {nps}, {csat}, {ces} are the columns or NULL; {keys} the grouping columns (may be none).
SELECT {keys}
       count({nps}) AS nps_n, count(CASE WHEN {nps} >= 9 THEN 1 END) AS promoters,
       count(CASE WHEN {nps} <= 6 THEN 1 END) AS detractors,
       count({csat}) AS csat_n, count(CASE WHEN {csat} >= 4 THEN 1 END) AS csat_top2,
       sum({csat}) AS csat_sum, sum({csat} * {csat}) AS csat_sum_squares,
       count({ces}) AS ces_n, sum({ces}) AS ces_sum, sum({ces} * {ces}) AS ces_sum_squares,
       count(*) AS answers, count(DISTINCT customer_id) AS respondents
FROM surveys
{group_by}
