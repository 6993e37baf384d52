-- Marketing and IT dimension scores per business unit (NULL = company) and month, and their signed gap.
SELECT month, business_unit, replace(measure, 'dimension:', '') AS dimension,
       max(value) FILTER (WHERE department = 'marketing') AS marketing,
       max(n)     FILTER (WHERE department = 'marketing') AS marketing_n,
       max(value) FILTER (WHERE department = 'it') AS it,
       max(n)     FILTER (WHERE department = 'it') AS it_n,
       max(value) FILTER (WHERE department = 'marketing') - max(value) FILTER (WHERE department = 'it') AS gap
FROM survey_measures
WHERE month BETWEEN $month_from AND $month_to AND measure LIKE 'dimension:%'
GROUP BY month, business_unit, measure
ORDER BY month, business_unit NULLS FIRST, dimension;
