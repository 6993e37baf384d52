-- How marketing and IT together answered each Likert item in a month, per business unit and for the company
-- (business_unit NULL): shares of each score after reverse items are flipped, so 4-5 is always favourable.
-- This figure pools two departments, so it is hidden wherever it and a shown part would leave a hidden part:
-- a unit's row when either of its department groups is hidden (survey_hidden_groups), when either department's
-- figure for the item is hidden (fewer than the threshold answered it), or when fewer than the threshold answered;
-- the company's row when either department's company figure for the item is hidden, or when the unit rows hidden
-- under it hold fewer than the threshold together. A hidden row's n is hidden too.
WITH threshold AS (
    SELECT value::INTEGER AS k FROM settings WHERE key = 'anonymity_threshold'
),
answers AS (
    SELECT business_unit, item_id, score
    FROM scored_answers
    WHERE month = $month AND scale = 'likert5' AND department IN ({{SIDES}})
),
units AS (
    SELECT business_unit, item_id, count(*) AS n,
           count(*) FILTER (WHERE score = 1) AS s1, count(*) FILTER (WHERE score = 2) AS s2,
           count(*) FILTER (WHERE score = 3) AS s3, count(*) FILTER (WHERE score = 4) AS s4,
           count(*) FILTER (WHERE score = 5) AS s5
    FROM answers GROUP BY business_unit, item_id
),
hidden_groups AS (
    SELECT DISTINCT business_unit FROM survey_hidden_groups
    WHERE month = $month AND department IN ({{SIDES}}) AND hidden
),
hidden_items AS (  -- a department's figure for the item, per unit and for the company (business_unit NULL)
    SELECT DISTINCT business_unit, replace(measure, 'favourable:', '') AS item_id FROM survey_measures
    WHERE month = $month AND measure LIKE 'favourable:%' AND department IN ({{SIDES}}) AND suppressed
),
marked AS (
    SELECT u.*,
           n < (SELECT k FROM threshold)
           OR u.business_unit IN (SELECT business_unit FROM hidden_groups)
           OR EXISTS (SELECT 1 FROM hidden_items h WHERE h.business_unit = u.business_unit AND h.item_id = u.item_id)
           AS suppressed
    FROM units u
),
flagged AS (
    SELECT business_unit, item_id, n, s1, s2, s3, s4, s5, suppressed FROM marked
    UNION ALL
    SELECT NULL, item_id, sum(n), sum(s1), sum(s2), sum(s3), sum(s4), sum(s5),
           sum(n) < (SELECT k FROM threshold)
           OR coalesce(sum(n) FILTER (WHERE suppressed), 0) BETWEEN 1 AND (SELECT k FROM threshold) - 1
           OR item_id IN (SELECT item_id FROM hidden_items WHERE business_unit IS NULL)
    FROM marked GROUP BY item_id
)
SELECT f.business_unit, f.item_id, i.dimension, i.text, i.reverse_scored,
       CASE WHEN NOT f.suppressed THEN f.n END AS n, f.suppressed,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s1 / f.n END AS pct_1,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s2 / f.n END AS pct_2,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s3 / f.n END AS pct_3,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s4 / f.n END AS pct_4,
       CASE WHEN NOT f.suppressed THEN 100.0 * f.s5 / f.n END AS pct_5,
       CASE WHEN NOT f.suppressed THEN 100.0 * (f.s4 + f.s5) / f.n END AS pct_favourable
FROM flagged f JOIN survey_items i USING (item_id)
ORDER BY f.business_unit NULLS FIRST, i.dimension, f.item_id;
