-- Staged responses whose id is already stored, and whether everything about them is the same.
WITH staged AS (
    SELECT i.response_id, i.submitted_at, i.wave, i.business_unit, i.department, i.role, i.comment,
           (SELECT string_agg(a.item_id || '=' || a.value, ',' ORDER BY a.item_id)
            FROM incoming_answers a WHERE a.response_id = i.response_id) AS answers
    FROM incoming i
    WHERE i.response_id IN (SELECT response_id FROM survey_responses)
),
stored AS (
    SELECT r.response_id, r.submitted_at, r.wave, r.business_unit, r.department, r.role, r.comment,
           (SELECT string_agg(a.item_id || '=' || a.value, ',' ORDER BY a.item_id)
            FROM survey_answers a WHERE a.response_id = r.response_id) AS answers
    FROM survey_responses r
    WHERE r.response_id IN (SELECT response_id FROM staged)
)
SELECT s.response_id,
       s.submitted_at = t.submitted_at AND s.wave = t.wave AND s.business_unit = t.business_unit
       AND s.department = t.department AND s.role = t.role AND s.comment IS NOT DISTINCT FROM t.comment
       AND s.answers IS NOT DISTINCT FROM t.answers AS same
FROM staged s JOIN stored t USING (response_id)
ORDER BY s.response_id;
