-- activity_outliers: one row per village and activity (publicity by kind over the period up
-- to $cutoff, households visited by the grids), for villages that report it: the amount per
-- 1,000 residents of the population base and its modified z-score against the other
-- villages, 0.6745 × (rate − median of the others) / median absolute deviation of the
-- others (Iglewicz and Hoaglin). Per 1,000 residents, so that a large village is not an
-- outlier for being large. Null where fewer than four other villages report the activity
-- or the others do not vary.
with residents as (
    select
        village_code,
        count(*) as residents
    from persons
    where is_in_base
    group by village_code
),

activity as (
    select
        village_code,
        'publicity_' || kind as activity,
        sum(quantity) as amount
    from stg_publicity
    where activity_on between $period_start::date and least($period_end::date, $cutoff::date)
    group by village_code, kind
    union all
    select
        village_code,
        'grid_visited_households' as activity,
        sum(visited_households) as amount
    from stg_grid
    group by village_code
),

rates as (
    select
        a.village_code,
        a.activity,
        a.amount,
        r.residents,
        1000.0 * a.amount / r.residents as per_1000
    from activity as a
    inner join residents as r using (village_code)
),

others as (
    select
        x.village_code,
        x.activity,
        count(*) as other_villages,
        median(o.per_1000) as others_median
    from rates as x
    inner join rates as o on o.activity = x.activity and o.village_code <> x.village_code
    group by x.village_code, x.activity
),

spread as (
    select
        x.village_code,
        x.activity,
        median(abs(o.per_1000 - x.others_median)) as others_mad
    from others as x
    inner join rates as o on o.activity = x.activity and o.village_code <> x.village_code
    group by x.village_code, x.activity
)

select
    r.village_code,
    r.activity,
    r.amount,
    r.residents,
    round(r.per_1000, 2) as per_1000,
    coalesce(o.other_villages, 0) as other_villages,
    round(o.others_median, 2) as others_median,
    round(s.others_mad, 2) as others_mad,
    case
        when o.other_villages >= 4 and s.others_mad > 0
            then round(0.6745 * (r.per_1000 - o.others_median) / s.others_mad, 2)
    end as modified_z
from rates as r
left join others as o using (village_code, activity)
left join spread as s using (village_code, activity)
order by r.activity, r.village_code;
