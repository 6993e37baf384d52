-- One KPI's value per business unit and month.
SELECT business_unit, month, value FROM kpis WHERE kpi = $kpi ORDER BY business_unit, month;
