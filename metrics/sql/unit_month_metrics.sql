-- Every scorecard metric for each business unit and month from $month_from to $month_to, and for the
-- company (business_unit NULL). Survey figures come from survey_measures, so anonymity rules hold.
WITH
months AS (
    SELECT strftime(m, '%Y-%m') AS month, m::DATE AS month_start, (m + INTERVAL 1 MONTH)::DATE AS next_month_start
    FROM range(strptime($month_from, '%Y-%m') - INTERVAL 2 MONTH,
               strptime($month_to, '%Y-%m') + INTERVAL 1 MONTH,
               INTERVAL 1 MONTH) AS t(m)
),
units AS (
    SELECT business_unit FROM survey_responses UNION SELECT business_unit FROM headcount
    UNION SELECT business_unit FROM meetings UNION SELECT business_unit FROM joint_projects
    UNION SELECT business_unit FROM kpis
    UNION SELECT business_unit FROM collaboration
),
calendar AS (
    SELECT u.business_unit, m.month FROM units u CROSS JOIN months m
    WHERE m.month BETWEEN $month_from AND $month_to
    UNION ALL
    SELECT NULL, m.month FROM months m WHERE m.month BETWEEN $month_from AND $month_to
),

-- Survey: department indexes, strategic-partner rates, partner NPS, perception gap.
survey AS (
    SELECT month, business_unit,
           max(value) FILTER (WHERE department = 'marketing' AND measure = 'index') AS marketing_index,
           max(n)     FILTER (WHERE department = 'marketing' AND measure = 'index') AS marketing_index_n,
           max(value) FILTER (WHERE department = 'it' AND measure = 'index') AS it_index,
           max(n)     FILTER (WHERE department = 'it' AND measure = 'index') AS it_index_n,
           max(value) FILTER (WHERE department = 'marketing' AND measure = 'favourable:partner_strategic') AS strategic_partner_rate_marketing,
           max(n)     FILTER (WHERE department = 'marketing' AND measure = 'favourable:partner_strategic') AS strategic_partner_rate_marketing_n,
           max(value) FILTER (WHERE department = 'it' AND measure = 'favourable:partner_strategic') AS strategic_partner_rate_it,
           max(n)     FILTER (WHERE department = 'it' AND measure = 'favourable:partner_strategic') AS strategic_partner_rate_it_n,
           max(value) FILTER (WHERE department = 'marketing+it' AND measure = 'nps:partner_nps') AS partner_nps,
           max(n)     FILTER (WHERE department = 'marketing+it' AND measure = 'nps:partner_nps') AS partner_nps_n
    FROM survey_measures
    WHERE month BETWEEN $month_from AND $month_to
    GROUP BY month, business_unit
),
dimension_gaps AS (
    SELECT month, business_unit, measure,
           max(value) FILTER (WHERE department = 'marketing') - max(value) FILTER (WHERE department = 'it') AS gap
    FROM survey_measures
    WHERE month BETWEEN $month_from AND $month_to AND measure LIKE 'dimension:%'
    GROUP BY month, business_unit, measure
),
perception AS (
    SELECT month, business_unit, avg(abs(gap)) AS perception_gap_abs
    FROM dimension_gaps GROUP BY month, business_unit
),
respondents AS (
    SELECT month, business_unit, department, respondents  -- as the figures count them: held changes wait
    FROM survey_group_figures WHERE department IN ({{SIDES}})
),
response AS (
    SELECT h.month, h.business_unit,
           100.0 * sum(coalesce(r.respondents, 0)) / nullif(sum(h.headcount), 0) AS response_rate,
           sum(coalesce(r.respondents, 0)) AS response_rate_n,
           100.0 * sum(coalesce(r.respondents, 0)) FILTER (WHERE h.department = 'marketing')
                 / nullif(sum(h.headcount) FILTER (WHERE h.department = 'marketing'), 0) AS response_rate_marketing,
           100.0 * sum(coalesce(r.respondents, 0)) FILTER (WHERE h.department = 'it')
                 / nullif(sum(h.headcount) FILTER (WHERE h.department = 'it'), 0) AS response_rate_it
    FROM headcount h
    LEFT JOIN respondents r ON r.month = h.month AND r.business_unit = h.business_unit AND r.department = h.department
    WHERE h.department IN ({{SIDES}}) AND h.month BETWEEN $month_from AND $month_to
    GROUP BY GROUPING SETS ((h.month, h.business_unit), (h.month))
),

-- Meetings: cadence of the monthly joint steering meeting, attendance, leadership presence.
meetings_start AS (
    SELECT min(strftime(date, '%Y-%m')) AS month FROM meetings
),
steering_held AS (
    SELECT business_unit, strftime(date, '%Y-%m') AS month, count(*) AS held
    FROM meetings WHERE meeting_type = 'joint_steering' AND status = 'held'
    GROUP BY ALL
),
cadence_monthly AS (
    SELECT u.business_unit, m.month,
           CASE WHEN m.month >= (SELECT month FROM meetings_start)
                THEN 100.0 * least(coalesce(s.held, 0), 1) END AS cadence_adherence
    FROM (SELECT DISTINCT business_unit FROM meetings) u
    CROSS JOIN months m
    LEFT JOIN steering_held s ON s.business_unit = u.business_unit AND s.month = m.month
),
cadence_units AS (
    SELECT business_unit, month, cadence_adherence,
           avg(cadence_adherence) OVER (PARTITION BY business_unit ORDER BY month
                                        ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS cadence_adherence_3m
    FROM cadence_monthly
),
cadence AS (
    SELECT * FROM cadence_units
    UNION ALL
    SELECT NULL, month, avg(cadence_adherence), avg(cadence_adherence_3m) FROM cadence_units GROUP BY month
),
attendance_rates AS (
    SELECT strftime(m.date, '%Y-%m') AS month, m.business_unit,
           100.0 * avg(CASE WHEN a.attended THEN 1 ELSE 0 END) FILTER (WHERE a.department IN ({{SIDES}})) AS attendance_rate,
           count(*) FILTER (WHERE a.department IN ({{SIDES}})) AS attendance_rate_n,
           100.0 * avg(CASE WHEN a.attended THEN 1 ELSE 0 END) FILTER (WHERE a.department = 'marketing') AS attendance_rate_marketing,
           100.0 * avg(CASE WHEN a.attended THEN 1 ELSE 0 END) FILTER (WHERE a.department = 'it') AS attendance_rate_it
    FROM meetings m JOIN attendance a ON a.meeting_id = m.meeting_id
    WHERE m.status = 'held'
    GROUP BY GROUPING SETS ((strftime(m.date, '%Y-%m'), m.business_unit), (strftime(m.date, '%Y-%m')))
),
steering_leads AS (
    SELECT m.meeting_id, m.business_unit, strftime(m.date, '%Y-%m') AS month,
           coalesce(bool_or(a.attended AND a.department = 'marketing' AND a.role = 'lead'), false)
           AND coalesce(bool_or(a.attended AND a.department = 'it' AND a.role = 'lead'), false) AS both_leads
    FROM meetings m LEFT JOIN attendance a ON a.meeting_id = m.meeting_id
    WHERE m.meeting_type = 'joint_steering' AND m.status = 'held'
    GROUP BY m.meeting_id, m.business_unit, m.date
),
leadership AS (
    SELECT month, business_unit,
           100.0 * avg(CASE WHEN both_leads THEN 1 ELSE 0 END) AS leadership_presence,
           count(*) AS leadership_presence_n
    FROM steering_leads
    GROUP BY GROUPING SETS ((month, business_unit), (month))
),

-- Joint projects delivered in the trailing 12 months to each month's end.
first_scale AS (
    SELECT parent_project_id AS project_id, min(start_date) AS scale_start
    FROM joint_projects WHERE stage = 'scale' AND parent_project_id IS NOT NULL
    GROUP BY parent_project_id
),
delivered AS (
    SELECT m.month, p.business_unit, p.stage, p.outcome, p.roi_pct, p.budget, p.spend,
           p.actual_end <= p.planned_end AS on_time,
           coalesce(f.scale_start < m.next_month_start, false) AS scaled
    FROM joint_projects p
    JOIN months m ON p.actual_end >= m.month_start - INTERVAL 11 MONTH AND p.actual_end < m.next_month_start
    LEFT JOIN first_scale f ON f.project_id = p.project_id
    WHERE p.status = 'delivered' AND m.month BETWEEN $month_from AND $month_to
),
projects AS (
    SELECT month, business_unit,
           100.0 * avg(CASE WHEN on_time THEN 1 ELSE 0 END) AS project_on_time_rate,
           count(*) AS project_on_time_rate_n,
           100.0 * avg(CASE WHEN outcome = 'success' THEN 1 ELSE 0 END) AS project_success_rate,
           count(*) AS project_success_rate_n,
           100.0 * avg(CASE WHEN scaled THEN 1 ELSE 0 END) FILTER (WHERE stage = 'pilot' AND outcome = 'success') AS pilot_to_scale_rate,
           count(*) FILTER (WHERE stage = 'pilot' AND outcome = 'success') AS pilot_to_scale_rate_n,
           avg(roi_pct) AS project_mean_roi,
           count(roi_pct) AS project_mean_roi_n,
           100.0 * (sum(spend) - sum(budget)) / nullif(sum(budget), 0) AS project_budget_variance
    FROM delivered
    GROUP BY GROUPING SETS ((month, business_unit), (month))
),

-- The monthly review: actions on track and overdue (sql/views.sql), decision-rights clarity for the company only.
review AS (
    SELECT month, business_unit, actions_on_track, overdue_actions
    FROM review_action_metrics($month_from, $month_to)
),

-- Measured collaboration (issue 19, Viva Insights): hours between marketing and IT per person per month, both
-- directions' hours over both sides' people (each direction's people are its from side's); n = those people.
collab AS (
    SELECT month, business_unit, sum(hours) / sum(people) AS collaboration_hours,
           sum(people) AS collaboration_hours_n
    FROM collaboration
    WHERE from_side <> to_side AND month BETWEEN $month_from AND $month_to
    GROUP BY GROUPING SETS ((month, business_unit), (month))
),

joined AS (
    SELECT c.business_unit, c.month,
           (s.marketing_index + s.it_index) / 2 AS alignment_index,
           s.marketing_index_n + s.it_index_n AS alignment_index_n,  -- null with the index: a hidden n is hidden
           s.* EXCLUDE (month, business_unit),
           g.perception_gap_abs,
           r.* EXCLUDE (month, business_unit),
           k.cadence_adherence, k.cadence_adherence_3m,
           a.* EXCLUDE (month, business_unit),
           l.* EXCLUDE (month, business_unit),
           p.* EXCLUDE (month, business_unit),
           CASE WHEN c.business_unit IS NULL THEN (SELECT decision_rights_clarity FROM decision_rights_clarity) END
               AS decision_rights_clarity,
           v.actions_on_track, coalesce(v.overdue_actions, 0) AS overdue_actions,
           o.collaboration_hours, o.collaboration_hours_n
    FROM calendar c
    LEFT JOIN survey s           ON s.month = c.month AND s.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN perception g       ON g.month = c.month AND g.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN response r         ON r.month = c.month AND r.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN cadence k          ON k.month = c.month AND k.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN attendance_rates a ON a.month = c.month AND a.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN leadership l       ON l.month = c.month AND l.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN projects p         ON p.month = c.month AND p.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN review v           ON v.month = c.month AND v.business_unit IS NOT DISTINCT FROM c.business_unit
    LEFT JOIN collab o           ON o.month = c.month AND o.business_unit IS NOT DISTINCT FROM c.business_unit
)
SELECT *,
       ( coalesce($w_alignment * alignment_index, 0)
       + coalesce($w_cadence * cadence_adherence_3m, 0)
       + coalesce($w_attendance * attendance_rate, 0)
       + coalesce($w_projects * project_success_rate, 0) )
       / nullif( CASE WHEN alignment_index IS NULL THEN 0 ELSE $w_alignment END
               + CASE WHEN cadence_adherence_3m IS NULL THEN 0 ELSE $w_cadence END
               + CASE WHEN attendance_rate IS NULL THEN 0 ELSE $w_attendance END
               + CASE WHEN project_success_rate IS NULL THEN 0 ELSE $w_projects END, 0) AS chi
FROM joined
ORDER BY month, business_unit NULLS FIRST;
