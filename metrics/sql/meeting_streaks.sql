-- Runs of consecutive months in which each business unit held its joint steering meeting, up to $month:
-- the current run (the one that ends at $month; 0 when $month's meeting was not held) and the longest run,
-- with the months it spanned (the latest of equally long runs). $business_unit NULL = all units.
WITH
held_months AS (
    -- A month as one integer (year x 12 + month - 1), so consecutive months differ by exactly 1.
    SELECT DISTINCT business_unit, year(date) * 12 + month(date) - 1 AS month_index
    FROM meetings
    WHERE meeting_type = 'joint_steering' AND status = 'held' AND strftime(date, '%Y-%m') <= $month
),
runs AS (
    -- Gaps and islands: within a run, month_index - row number is constant.
    SELECT business_unit, month_index,
           month_index - row_number() OVER (PARTITION BY business_unit ORDER BY month_index) AS run_id
    FROM held_months
),
run_lengths AS (
    SELECT business_unit, count(*) AS run_length, min(month_index) AS first_index, max(month_index) AS last_index
    FROM runs
    GROUP BY business_unit, run_id
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY business_unit ORDER BY run_length DESC, last_index DESC) AS rank
    FROM run_lengths
),
selected AS (
    SELECT year(strptime($month, '%Y-%m')) * 12 + month(strptime($month, '%Y-%m')) - 1 AS month_index
),
units AS (
    SELECT DISTINCT business_unit FROM meetings
    WHERE $business_unit IS NULL OR business_unit = $business_unit
)
SELECT u.business_unit,
       coalesce((SELECT r.run_length FROM run_lengths r
                 WHERE r.business_unit = u.business_unit AND r.last_index = (SELECT month_index FROM selected)), 0)
           AS current_streak,
       coalesce(l.run_length, 0) AS longest_streak,
       printf('%04d-%02d', l.first_index // 12, l.first_index % 12 + 1) AS longest_streak_from,
       printf('%04d-%02d', l.last_index // 12, l.last_index % 12 + 1) AS longest_streak_to
FROM units u
LEFT JOIN ranked l ON l.business_unit = u.business_unit AND l.rank = 1
ORDER BY u.business_unit;
