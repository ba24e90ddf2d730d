-- KPI counts per group: the sufficient statistics of NPS (promoters, detractors of the answers), CSAT
-- (top-2-box answers of 4-5, sum and sum of squares) and CES (sum and sum of squares), answers and
-- respondents (distinct customers; an answer without one is a respondent of its own), of all answers and per
-- metric. {nps}, {csat}, {ces} and {customer_id} are the columns or NULL; {keys} the grouping columns (may be none).
SELECT {keys}
       count({nps}) AS nps_n, count(CASE WHEN {nps} >= 9 THEN 1 END) AS promoters,
       count(CASE WHEN {nps} <= 6 THEN 1 END) AS detractors,
       count({csat}) AS csat_n, count(CASE WHEN {csat} >= 4 THEN 1 END) AS csat_top2,
       sum({csat}) AS csat_sum, sum({csat} * {csat}) AS csat_sum_squares,
       count({ces}) AS ces_n, sum({ces}) AS ces_sum, sum({ces} * {ces}) AS ces_sum_squares,
       count(*) AS answers,
       count(DISTINCT {customer_id}) + count(CASE WHEN {customer_id} IS NULL THEN 1 END) AS respondents,
       count(DISTINCT CASE WHEN {nps} IS NOT NULL THEN {customer_id} END)
           + count(CASE WHEN {nps} IS NOT NULL AND {customer_id} IS NULL THEN 1 END) AS nps_respondents,
       count(DISTINCT CASE WHEN {csat} IS NOT NULL THEN {customer_id} END)
           + count(CASE WHEN {csat} IS NOT NULL AND {customer_id} IS NULL THEN 1 END) AS csat_respondents,
       count(DISTINCT CASE WHEN {ces} IS NOT NULL THEN {customer_id} END)
           + count(CASE WHEN {ces} IS NOT NULL AND {customer_id} IS NULL THEN 1 END) AS ces_respondents
FROM surveys
{group_by}
