-- Attendance rate of marketing and IT invitees over held meetings (invitees who attended / invitees), by
-- department and meeting type ('all' = every type), for the month $month and for the months $month_from to
-- $month. $business_unit NULL = the company.
WITH
invitations AS (
    SELECT strftime(m.date, '%Y-%m') AS month, m.meeting_type, a.department, a.attended
    FROM meetings m
    JOIN attendance a ON a.meeting_id = m.meeting_id
    WHERE m.status = 'held' AND a.department IN ({{SIDES}})
      AND strftime(m.date, '%Y-%m') BETWEEN $month_from AND $month
      AND ($business_unit IS NULL OR m.business_unit = $business_unit)
),
periods AS (
    SELECT 'month' AS period, meeting_type, department, attended FROM invitations WHERE month = $month
    UNION ALL
    SELECT 'trailing_12m', meeting_type, department, attended FROM invitations
)
SELECT period, department, coalesce(meeting_type, 'all') AS meeting_type,
       count(*) FILTER (WHERE attended) AS attended,
       count(*) AS invitees,
       100.0 * count(*) FILTER (WHERE attended) / count(*) AS attendance_rate
FROM periods
GROUP BY GROUPING SETS ((period, department, meeting_type), (period, department))
ORDER BY period, department, meeting_type NULLS FIRST;
