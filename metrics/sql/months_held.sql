-- Every month that holds data in any table, oldest first (a started project counts in its start and actual-end
-- months; a planned one, which may start in the future, does not). Only well-formed months (YYYY-MM): a value
-- written to the store by hand may be anything, and a date's month may have a year of five digits.
SELECT DISTINCT month FROM (
    SELECT wave AS month FROM survey_responses
    UNION ALL SELECT month FROM headcount
    UNION ALL SELECT strftime(date, '%Y-%m') FROM meetings
    UNION ALL SELECT month FROM kpis
    UNION ALL SELECT month FROM collaboration
    UNION ALL SELECT strftime(start_date, '%Y-%m') FROM joint_projects WHERE status IN ('active', 'delivered')
    UNION ALL SELECT strftime(actual_end, '%Y-%m') FROM joint_projects WHERE actual_end IS NOT NULL
)
WHERE regexp_full_match(month, {{MONTH}})
ORDER BY month;
