-- Every KPI the store holds, with how many unit-months carry it.
SELECT kpi, count(*) AS n FROM kpis GROUP BY kpi ORDER BY kpi;
