-- Each marketing or IT respondent's score on an action's target (metrics/review.py respondent_scores): the mean of
-- the respondent's non-missing answers to the target's Likert items (all Likert items when $dimension is NULL, the
-- alignment index), reverse-scored items flipped by scored_answers, as (mean - 1) / 4 x 100. The answers are the
-- published ones, the same respondents and answers the figures count; no answer to those items, no row.
-- With $shown_only, a respondent whose group (unit, month, department) has its figure on the target hidden is left
-- out (survey_measures: under the threshold, or hidden so a small group cannot be worked out): an effect pooled
-- from hidden and shown groups would give the hidden ones away, its n by subtraction and with it their mean.
WITH scores AS (
    SELECT response_id, business_unit, department, month, (avg(score) - 1) / 4 * 100 AS y
    FROM scored_answers
    WHERE scale = 'likert5'
      AND score IS NOT NULL
      AND department IN ({{SIDES}})
      AND list_contains($waves, month)
      AND ($units IS NULL OR list_contains($units, business_unit))
      AND ($dimension IS NULL OR dimension = $dimension)
    GROUP BY response_id, business_unit, department, month
),
hidden AS (
    SELECT month, business_unit, department
    FROM survey_measures
    WHERE suppressed AND business_unit IS NOT NULL AND list_contains($waves, month)
      AND measure = CASE WHEN $dimension IS NULL THEN 'index' ELSE 'dimension:' || $dimension END
)
SELECT s.*
FROM scores s
WHERE NOT ($shown_only AND EXISTS (SELECT 1 FROM hidden h WHERE h.month = s.month
                                    AND h.business_unit = s.business_unit AND h.department = s.department))
ORDER BY month, business_unit, department, response_id;
