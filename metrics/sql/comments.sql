-- The free-text comments of a month, for one business unit or the company ($business_unit NULL). A comment is
-- shown only when its group (business unit and department, that month) has at least the comment threshold of
-- respondents; nothing says who wrote it or when, and the order is a fixed shuffle, not the order of arrival.
-- Comments come from survey_published, as the figures do: a late response's comment waits with its answers.
WITH threshold AS (
    SELECT value::INTEGER AS k FROM settings WHERE key = 'comment_threshold'
),
groups AS (
    SELECT business_unit, department, count(*) AS n
    FROM survey_published
    WHERE wave = $month
    GROUP BY ALL
)
SELECT r.business_unit, r.department, trim(r.comment) AS comment
FROM survey_published r
JOIN groups g USING (business_unit, department)
WHERE r.wave = $month
  AND ($business_unit IS NULL OR r.business_unit = $business_unit)
  AND nullif(trim(r.comment), '') IS NOT NULL
  AND g.n >= (SELECT k FROM threshold)
ORDER BY hash(r.response_id);
