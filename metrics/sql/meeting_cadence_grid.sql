-- Whether each business unit held its monthly joint steering meeting, for every month from $month_from to
-- $month_to: 'held' (at least one held), 'cancelled' (only cancelled ones on record), 'none' (no steering
-- meeting on record) or 'not_recorded' (before the first meeting record of any unit, where cadence is not
-- measured either). Units are those with meeting records, as for cadence adherence; $business_unit NULL = all.
WITH
months AS (
    SELECT strftime(m, '%Y-%m') AS month
    FROM range(strptime($month_from, '%Y-%m'), strptime($month_to, '%Y-%m') + INTERVAL 1 MONTH,
               INTERVAL 1 MONTH) AS t(m)
),
units AS (
    SELECT DISTINCT business_unit FROM meetings
    WHERE $business_unit IS NULL OR business_unit = $business_unit
),
records_start AS (
    SELECT min(strftime(date, '%Y-%m')) AS month FROM meetings
),
steering AS (
    SELECT business_unit, strftime(date, '%Y-%m') AS month,
           count(*) FILTER (WHERE status = 'held') AS held,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled
    FROM meetings
    WHERE meeting_type = 'joint_steering'
    GROUP BY ALL
)
SELECT u.business_unit, m.month,
       coalesce(s.held, 0) AS held,
       coalesce(s.cancelled, 0) AS cancelled,
       CASE WHEN s.held > 0 THEN 'held'
            WHEN s.cancelled > 0 THEN 'cancelled'
            WHEN m.month < (SELECT month FROM records_start) THEN 'not_recorded'
            ELSE 'none' END AS state
FROM units u
CROSS JOIN months m
LEFT JOIN steering s ON s.business_unit = u.business_unit AND s.month = m.month
ORDER BY u.business_unit, m.month;
