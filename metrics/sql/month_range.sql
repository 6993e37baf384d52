-- The first and last month any table holds.
SELECT min(month), max(month) FROM (
    SELECT wave AS month FROM survey_responses
    UNION ALL SELECT month FROM headcount
    UNION ALL SELECT strftime(date, '%Y-%m') FROM meetings
    UNION ALL SELECT month FROM kpis
);
