-- One KPI's value per business unit and month; only well-formed months (YYYY-MM), since the lags shift them and
-- a value written to the store by hand may be anything.
SELECT business_unit, month, value FROM kpis
WHERE kpi = $kpi AND regexp_full_match(month, {{MONTH}})
ORDER BY business_unit, month;
