-- Every joint project in the register ($business_unit NULL = all units) with its parent pilot (name and id) and,
-- once delivered, its budget variance: (spend - budget) / budget x 100. Before delivery spend is only
-- spend to date, so a variance would mislead.
SELECT p.project_id, p.business_unit, p.name, p.lead_function, p.stage,
       p.parent_project_id,
       coalesce(parent.name || ' (' || p.parent_project_id || ')', p.parent_project_id) AS parent_pilot,
       p.start_date, p.planned_end, p.actual_end,
       p.status, p.outcome, p.roi_pct, p.budget, p.spend,
       CASE WHEN p.status = 'delivered' THEN 100.0 * (p.spend - p.budget) / nullif(p.budget, 0) END
           AS budget_variance_pct
FROM joint_projects p
LEFT JOIN joint_projects parent ON parent.project_id = p.parent_project_id
WHERE $business_unit IS NULL OR p.business_unit = $business_unit
ORDER BY p.business_unit, p.start_date, p.project_id;
