-- Every business unit any table names.
SELECT business_unit FROM (
    SELECT business_unit FROM survey_responses UNION SELECT business_unit FROM headcount
    UNION SELECT business_unit FROM meetings UNION SELECT business_unit FROM joint_projects
    UNION SELECT business_unit FROM kpis
) ORDER BY business_unit;
