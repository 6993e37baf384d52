-- The monthly review's metrics (DESIGN.md, "The monthly review") of one month and one business unit ($business_unit
-- NULL = the company), as of the month's last day: sql/views.sql defines them once, for this and the scorecard.
SELECT CASE WHEN $business_unit::VARCHAR IS NULL THEN (SELECT decision_rights_clarity FROM decision_rights_clarity) END
           AS decision_rights_clarity,
       a.actions_on_track, coalesce(a.overdue_actions, 0) AS overdue_actions
FROM (SELECT 1) one
LEFT JOIN review_action_metrics($month, $month) a ON a.business_unit IS NOT DISTINCT FROM $business_unit::VARCHAR;
