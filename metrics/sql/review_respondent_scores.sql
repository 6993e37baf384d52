-- Each marketing or IT respondent's score on an action's target (metrics/review.py respondent_scores): the mean of
-- the respondent's non-missing answers to the target's Likert items (all Likert items when $dimension is NULL, the
-- alignment index), reverse-scored items flipped by scored_answers, as (mean - 1) / 4 x 100. The answers are the
-- published ones, the same respondents and answers the figures count; no answer to those items, no row.
SELECT response_id, business_unit, department, month, (avg(score) - 1) / 4 * 100 AS y
FROM scored_answers
WHERE scale = 'likert5'
  AND score IS NOT NULL
  AND department IN ('marketing', 'it')
  AND list_contains($waves, month)
  AND ($units IS NULL OR list_contains($units, business_unit))
  AND ($dimension IS NULL OR dimension = $dimension)
GROUP BY response_id, business_unit, department, month
ORDER BY month, business_unit, department, response_id;
