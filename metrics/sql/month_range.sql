-- The first and last month any table holds (a started project counts from its start to its actual end;
-- a planned one, which may start in the future, does not).
SELECT min(month), max(month) FROM (
    SELECT wave AS month FROM survey_responses
    UNION ALL SELECT month FROM headcount
    UNION ALL SELECT strftime(date, '%Y-%m') FROM meetings
    UNION ALL SELECT month FROM kpis
    UNION ALL SELECT strftime(start_date, '%Y-%m') FROM joint_projects WHERE status IN ('active', 'delivered')
    UNION ALL SELECT strftime(actual_end, '%Y-%m') FROM joint_projects WHERE actual_end IS NOT NULL
);
