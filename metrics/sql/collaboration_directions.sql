-- Measured collaboration (issue 19) per business unit (and the company, business_unit NULL) and month from $month_from
-- to $month_to: each direction's hours per person of its from side, and those people.
SELECT month, business_unit,
       sum(hours) FILTER (WHERE from_side = 'marketing' AND to_side = 'it')
           / sum(people) FILTER (WHERE from_side = 'marketing' AND to_side = 'it') AS marketing_to_it,
       sum(people) FILTER (WHERE from_side = 'marketing' AND to_side = 'it') AS marketing_people,
       sum(hours) FILTER (WHERE from_side = 'it' AND to_side = 'marketing')
           / sum(people) FILTER (WHERE from_side = 'it' AND to_side = 'marketing') AS it_to_marketing,
       sum(people) FILTER (WHERE from_side = 'it' AND to_side = 'marketing') AS it_people
FROM collaboration
WHERE month BETWEEN $month_from AND $month_to
GROUP BY GROUPING SETS ((month, business_unit), (month))
ORDER BY month, business_unit NULLS FIRST;
