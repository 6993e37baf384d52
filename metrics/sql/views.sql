-- Views shared by every survey query; recreated on each connect so they always match the code.

-- Every answer the figures count (survey_published: changes held back are not in it yet) with reverse-scored
-- Likert items flipped (6 - x) before anything else.
CREATE OR REPLACE VIEW scored_answers AS
-- published_answers carries each answer's month, unit, department and role, so a filter on them reaches the scan.
SELECT a.response_id, a.month, a.business_unit, a.department, a.role,
       i.item_id, i.dimension, i.scale,
       CASE WHEN i.scale = 'likert5' AND i.reverse_scored THEN 6 - a.value ELSE a.value END AS score
FROM published_answers a
JOIN survey_items i USING (item_id);

-- Respondent scores: the mean of a respondent's non-missing Likert answers, over all items ('*')
-- and over each dimension's items.
CREATE OR REPLACE VIEW respondent_scores AS
SELECT response_id, month, business_unit, department, coalesce(dimension, '*') AS dimension, avg(score) AS score
FROM scored_answers
WHERE scale = 'likert5'
GROUP BY GROUPING SETS ((response_id, month, business_unit, department, dimension),
                        (response_id, month, business_unit, department));

-- Survey figures of each business unit, month and department, before anonymity rules, computed from the
-- answers. Imports store them in survey_group_stats for the months they touch, so pages never scan answers:
-- index (all Likert items), dimension:<d>, favourable:<item>, and nps:<item> over marketing and IT together
-- (never per department: the pooled figure minus one department's would expose the other). n = respondents
-- or answers.
CREATE OR REPLACE VIEW survey_group_measures_live AS
SELECT month, business_unit, department,
       CASE WHEN dimension = '*' THEN 'index' ELSE 'dimension:' || dimension END AS measure,
       (avg(score) - 1) / 4 * 100 AS value, count(*) AS n
FROM respondent_scores
GROUP BY ALL
UNION ALL
SELECT month, business_unit, department, 'favourable:' || item_id,
       100.0 * avg(CASE WHEN score >= 4 THEN 1 ELSE 0 END), count(*)
FROM scored_answers
WHERE scale = 'likert5'
GROUP BY ALL
UNION ALL
SELECT month, business_unit, 'marketing+it', 'nps:' || item_id,
       100.0 * (avg(CASE WHEN score >= 9 THEN 1 ELSE 0 END) - avg(CASE WHEN score <= 6 THEN 1 ELSE 0 END)), count(*)
FROM scored_answers
WHERE scale = 'nps11' AND department IN ({{SIDES}})
GROUP BY month, business_unit, item_id;

-- Which groups are hidden, decided once for the respondents of a month, business unit and department, and applied
-- alike to every measure made from them (so no two measures can be combined to solve for a hidden group): a group
-- under the threshold, and, when the hidden groups of a month and department hold fewer than the threshold
-- together, the smallest shown group too (the company figure minus the shown units would give them away).
CREATE OR REPLACE VIEW survey_hidden_groups AS
WITH threshold AS (
    SELECT value::INTEGER AS k FROM settings WHERE key = 'anonymity_threshold'
),
ranked AS (
    SELECT month, business_unit, department, respondents, respondents < (SELECT k FROM threshold) AS below,
           sum(CASE WHEN respondents < (SELECT k FROM threshold) THEN respondents ELSE 0 END)
               OVER (PARTITION BY month, department) AS below_n,
           row_number() OVER (PARTITION BY month, department, respondents < (SELECT k FROM threshold)
                              ORDER BY respondents, business_unit) AS size_rank
    FROM survey_group_figures
)
SELECT month, business_unit, department, respondents,
       below OR (below_n > 0 AND below_n < (SELECT k FROM threshold) AND size_rank = 1) AS hidden
FROM ranked;

-- The figures with the anonymity rules applied, plus the company (business_unit NULL). A unit's figure is hidden
-- when its group is (survey_hidden_groups), or when fewer than the threshold answered what it is made of (an
-- item's figure rests on those who answered the item). A pooled figure (a unit's marketing and IT together, the
-- NPS) is hidden when either group is. A company figure is hidden when it rests on fewer than the threshold, or
-- when the unit figures hidden under it hold fewer than the threshold together: the company minus the shown units
-- would give them. A figure hidden at a state shown before stays hidden (survey_hidden_figures, see
-- metrics/answers.py remember_hidden). A hidden figure's n is hidden too.
CREATE OR REPLACE VIEW survey_measures AS
WITH threshold AS (
    SELECT value::INTEGER AS k FROM settings WHERE key = 'anonymity_threshold'
),
pooled AS (
    SELECT month, business_unit, 'marketing+it' AS department, bool_or(hidden) AS hidden
    FROM survey_hidden_groups WHERE department IN ({{SIDES}})
    GROUP BY month, business_unit
),
units AS (
    SELECT s.month, s.business_unit, s.department, s.measure, s.n, s.value,
           coalesce(g.hidden, p.hidden, false) OR s.n < (SELECT k FROM threshold) OR h.month IS NOT NULL AS suppressed
    FROM survey_group_stats s
    LEFT JOIN survey_hidden_groups g USING (month, business_unit, department)
    LEFT JOIN pooled p USING (month, business_unit, department)
    LEFT JOIN survey_hidden_figures h ON h.month = s.month AND h.business_unit = s.business_unit
         AND h.department = s.department AND h.measure = s.measure
),
company_all AS (
    SELECT month, NULL::VARCHAR AS business_unit, department, measure, sum(n) AS n,
           sum(n) < (SELECT k FROM threshold)
           OR coalesce(sum(n) FILTER (WHERE suppressed), 0) BETWEEN 1 AND (SELECT k FROM threshold) - 1 AS suppressed,
           sum(value * n) / sum(n) AS value
    FROM units
    GROUP BY month, department, measure
),
company AS (
    SELECT c.month, c.business_unit, c.department, c.measure, c.n, c.suppressed OR h.month IS NOT NULL AS suppressed,
           c.value
    FROM company_all c
    LEFT JOIN (SELECT * FROM survey_hidden_figures WHERE business_unit IS NULL) h
         ON h.month = c.month AND h.department = c.department AND h.measure = c.measure
)
SELECT month, business_unit, department, measure,
       CASE WHEN suppressed THEN NULL ELSE n END AS n, suppressed,
       CASE WHEN suppressed THEN NULL ELSE value END AS value
FROM (SELECT month, business_unit, department, measure, n, suppressed, value FROM units
      UNION ALL SELECT month, business_unit, department, measure, n, suppressed, value FROM company);

-- The monthly review's action metrics (DESIGN.md, "The monthly review") for every month from first_month to
-- last_month, as of each month's last day, per business unit (actions of that unit) and for the company
-- (business_unit NULL: every action, the company-wide ones and the units'). An action counts from its start month
-- on. actions_on_track = actions not done whose due date has not passed / actions not done x 100 (null when every
-- action is done); overdue_actions = actions not done whose due date has passed. Units without an action get no row.
--
-- The rule itself is review_open_actions: every action not done in each month from its start month on, and
-- whether it is overdue then (its due date before the month's last day). The metrics count it; the board pack
-- tints a due date from it (metrics.review.overdue_action_ids).
CREATE OR REPLACE MACRO review_open_actions(first_month, last_month) AS TABLE
WITH months AS (
    SELECT strftime(m, '%Y-%m') AS month, (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS last_day
    FROM range(strptime(first_month, '%Y-%m'), strptime(last_month, '%Y-%m') + INTERVAL 1 MONTH,
               INTERVAL 1 MONTH) AS t(m)
)
SELECT m.month, a.action_id, a.business_unit, a.due IS NOT NULL AND a.due < m.last_day AS overdue
FROM actions a JOIN months m ON a.start_month <= m.month
WHERE a.status <> 'done';

CREATE OR REPLACE MACRO review_action_metrics(first_month, last_month) AS TABLE
WITH months AS (
    SELECT strftime(m, '%Y-%m') AS month
    FROM range(strptime(first_month, '%Y-%m'), strptime(last_month, '%Y-%m') + INTERVAL 1 MONTH,
               INTERVAL 1 MONTH) AS t(m)
),
open_actions AS (
    SELECT month, business_unit, overdue FROM review_open_actions(first_month, last_month)
),
counted AS (
    SELECT month, business_unit, count(*) AS open_actions, count(*) FILTER (WHERE overdue) AS overdue_actions
    FROM open_actions WHERE business_unit IS NOT NULL GROUP BY month, business_unit
    UNION ALL
    SELECT month, NULL, count(*), count(*) FILTER (WHERE overdue) FROM open_actions GROUP BY month
)
SELECT m.month, u.business_unit,
       CASE WHEN coalesce(c.open_actions, 0) > 0
            THEN 100.0 * (c.open_actions - c.overdue_actions) / c.open_actions END AS actions_on_track,
       coalesce(c.overdue_actions, 0) AS overdue_actions
FROM months m
CROSS JOIN (SELECT DISTINCT business_unit FROM actions WHERE business_unit IS NOT NULL
            UNION ALL SELECT NULL) u
LEFT JOIN counted c ON c.month = m.month AND c.business_unit IS NOT DISTINCT FROM u.business_unit;

-- Decision-rights clarity: decision areas with an agreed single accountable side (marketing, it or joint, with
-- agreed_on set) / all decision areas x 100; null when the register is empty. The register is the company's.
CREATE OR REPLACE VIEW decision_rights_clarity AS
SELECT CASE WHEN count(*) > 0 THEN 100.0 * count(*) FILTER (
           WHERE accountable IN ({{DECIDERS}}) AND agreed_on IS NOT NULL) / count(*) END
       AS decision_rights_clarity
FROM decision_rights;
