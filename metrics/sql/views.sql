-- Views shared by every survey query; recreated on each connect so they always match the code.

-- Every answer with reverse-scored Likert items flipped (6 - x) before anything else.
CREATE OR REPLACE VIEW scored_answers AS
SELECT r.response_id, r.wave AS month, r.business_unit, r.department, r.role,
       i.item_id, i.dimension, i.scale,
       CASE WHEN i.scale = 'likert5' AND i.reverse_scored THEN 6 - a.value ELSE a.value END AS score
FROM survey_responses r
JOIN survey_answers a USING (response_id)
JOIN survey_items i USING (item_id);

-- Respondent scores: the mean of a respondent's non-missing Likert answers, over all items ('*')
-- and over each dimension's items.
CREATE OR REPLACE VIEW respondent_scores AS
SELECT response_id, month, business_unit, department, coalesce(dimension, '*') AS dimension, avg(score) AS score
FROM scored_answers
WHERE scale = 'likert5'
GROUP BY GROUPING SETS ((response_id, month, business_unit, department, dimension),
                        (response_id, month, business_unit, department));

-- Survey figures of each business unit, month and department, before anonymity rules, computed from the
-- answers. Imports store them in survey_group_stats for the months they touch, so pages never scan answers:
-- index (all Likert items), dimension:<d>, favourable:<item>, and nps:<item> over marketing and IT together
-- (never per department: the pooled figure minus one department's would expose the other). n = respondents
-- or answers.
CREATE OR REPLACE VIEW survey_group_measures_live AS
SELECT month, business_unit, department,
       CASE WHEN dimension = '*' THEN 'index' ELSE 'dimension:' || dimension END AS measure,
       (avg(score) - 1) / 4 * 100 AS value, count(*) AS n
FROM respondent_scores
GROUP BY ALL
UNION ALL
SELECT month, business_unit, department, 'favourable:' || item_id,
       100.0 * avg(CASE WHEN score >= 4 THEN 1 ELSE 0 END), count(*)
FROM scored_answers
WHERE scale = 'likert5'
GROUP BY ALL
UNION ALL
SELECT month, business_unit, 'marketing+it', 'nps:' || item_id,
       100.0 * (avg(CASE WHEN score >= 9 THEN 1 ELSE 0 END) - avg(CASE WHEN score <= 6 THEN 1 ELSE 0 END)), count(*)
FROM scored_answers
WHERE scale = 'nps11' AND department IN ('marketing', 'it')
GROUP BY month, business_unit, item_id;

-- The same figures with the anonymity rules applied, plus the company (business_unit NULL).
-- A group under the threshold is suppressed. The company figure is the total of its units, so when
-- the suppressed units of a month, department and measure hold fewer than the threshold together,
-- the smallest shown unit is suppressed too: no hidden group can be recovered by subtraction.
CREATE OR REPLACE VIEW survey_measures AS
WITH threshold AS (
    SELECT value::INTEGER AS k FROM settings WHERE key = 'anonymity_threshold'
),
flagged AS (
    SELECT g.*, g.n < (SELECT k FROM threshold) AS below
    FROM survey_group_stats g
),
ranked AS (
    SELECT *,
           sum(CASE WHEN below THEN n ELSE 0 END) OVER (PARTITION BY month, department, measure) AS below_n,
           row_number() OVER (PARTITION BY month, department, measure, below ORDER BY n, business_unit) AS size_rank
    FROM flagged
),
units AS (
    SELECT month, business_unit, department, measure, n,
           below OR (NOT below AND below_n > 0 AND below_n < (SELECT k FROM threshold) AND size_rank = 1) AS suppressed,
           value
    FROM ranked
),
company AS (
    SELECT month, NULL::VARCHAR AS business_unit, department, measure, sum(n) AS n,
           sum(n) < (SELECT k FROM threshold) AS suppressed,
           sum(value * n) / sum(n) AS value
    FROM survey_group_stats
    GROUP BY month, department, measure
)
SELECT month, business_unit, department, measure, n, suppressed,
       CASE WHEN suppressed THEN NULL ELSE value END AS value
FROM (SELECT * FROM units UNION ALL SELECT * FROM company);
