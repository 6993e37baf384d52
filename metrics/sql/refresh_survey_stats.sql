-- Recompute the stored survey figures of the months an import or undo touched.
INSERT INTO survey_group_stats
SELECT month, business_unit, department, measure, value, n
FROM survey_group_measures_live
WHERE month IN (SELECT month FROM touched_months);
