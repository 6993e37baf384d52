-- How marketing and IT together answered each Likert item in a month, per business unit and for the
-- company (business_unit NULL): counts of each score after reverse items are flipped, so 4-5 is always
-- favourable. A unit under the anonymity threshold is hidden, and so is the smallest shown unit when
-- the hidden ones together hold fewer than the threshold (the company total would give them away).
-- A unit whose marketing or IT group is hidden elsewhere is hidden here too, so that this pooled figure
-- minus a shown department figure cannot expose the hidden department.
WITH threshold AS (
    SELECT value::INTEGER AS k FROM settings WHERE key = 'anonymity_threshold'
),
answers AS (
    SELECT business_unit, item_id, score
    FROM scored_answers
    WHERE month = $month AND scale = 'likert5' AND department IN ('marketing', 'it')
),
units AS (
    SELECT business_unit, item_id, count(*) AS n,
           count(*) FILTER (WHERE score = 1) AS s1, count(*) FILTER (WHERE score = 2) AS s2,
           count(*) FILTER (WHERE score = 3) AS s3, count(*) FILTER (WHERE score = 4) AS s4,
           count(*) FILTER (WHERE score = 5) AS s5
    FROM answers GROUP BY business_unit, item_id
),
hidden_departments AS (
    SELECT DISTINCT business_unit FROM survey_measures
    WHERE month = $month AND measure = 'index' AND department IN ('marketing', 'it') AND suppressed
      AND business_unit IS NOT NULL
),
marked AS (
    SELECT u.*, n < (SELECT k FROM threshold) OR u.business_unit IN (SELECT business_unit FROM hidden_departments) AS below
    FROM units u
),
ranked AS (
    SELECT *,
           sum(CASE WHEN below THEN n ELSE 0 END) OVER (PARTITION BY item_id) AS below_n,
           row_number() OVER (PARTITION BY item_id, below ORDER BY n, business_unit) AS size_rank
    FROM marked
),
flagged AS (
    SELECT business_unit, item_id, n, s1, s2, s3, s4, s5,
           below OR (NOT below AND below_n > 0 AND below_n < (SELECT k FROM threshold) AND size_rank = 1) AS suppressed
    FROM ranked
    UNION ALL
    SELECT NULL, item_id, sum(n), sum(s1), sum(s2), sum(s3), sum(s4), sum(s5), sum(n) < (SELECT k FROM threshold)
    FROM units GROUP BY item_id
)
SELECT f.business_unit, f.item_id, i.dimension, i.text, i.reverse_scored, f.n, f.suppressed,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s1 / f.n END AS pct_1,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s2 / f.n END AS pct_2,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s3 / f.n END AS pct_3,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s4 / f.n END AS pct_4,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s5 / f.n END AS pct_5,
       CASE WHEN NOT f.suppressed THEN 100.0 * (f.s4 + f.s5) / f.n END AS pct_favourable
FROM flagged f JOIN survey_items i USING (item_id)
ORDER BY f.business_unit NULLS FIRST, i.dimension, f.item_id;
