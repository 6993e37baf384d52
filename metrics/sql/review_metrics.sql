-- The monthly review's metrics (DESIGN.md, "The monthly review") as of $last_day, the last day of the month.
-- Actions count from their start month on; dropped ones count nowhere (metrics/review.py review_metrics says why).
WITH areas AS (
    SELECT count(*) AS areas,
           count(*) FILTER (WHERE accountable IN ('marketing', 'it', 'joint') AND agreed_on IS NOT NULL) AS agreed
    FROM decision_rights
),
open_actions AS (
    SELECT count(*) AS open_actions,
           count(*) FILTER (WHERE due IS NULL OR due >= $last_day) AS on_track,
           count(*) FILTER (WHERE due < $last_day) AS overdue
    FROM actions
    WHERE start_month <= $month AND status NOT IN ('done', 'dropped')
)
SELECT CASE WHEN areas > 0 THEN 100.0 * agreed / areas END AS decision_rights_clarity,
       CASE WHEN open_actions > 0 THEN 100.0 * on_track / open_actions END AS actions_on_track,
       overdue AS overdue_actions
FROM areas, open_actions;
