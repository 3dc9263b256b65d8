-- county_rollup: one row per township plus one county total row (township_code = null),
-- from each township's own figures (relation township_figures); coverage recomputed from
-- the summed counts, never averaged.
with townships as (
    select * from township_figures
),

totals as (
    select
        null as township_code,
        $county_name as township_name,
        sum(p60)::bigint as p60,
        sum(v60_dose1)::bigint as v60_dose1,
        sum(v60_dose2)::bigint as v60_dose2,
        sum(p18)::bigint as p18,
        sum(booster)::bigint as booster,
        sum(leaflet)::bigint as leaflet,
        sum(talk)::bigint as talk
    from townships
),

combined as (
    select township_code, township_name, p60, v60_dose1, v60_dose2, p18, booster, leaflet, talk
    from townships
    union all
    select * from totals
)

select
    township_code,
    township_name,
    p60,
    v60_dose1,
    coverage_pct(v60_dose1, p60) as v60_dose1_pct,
    v60_dose2,
    coverage_pct(v60_dose2, p60) as v60_dose2_pct,
    p18,
    booster,
    coverage_pct(booster, p18) as booster_pct,
    leaflet,
    talk
from combined
order by township_code is null, township_code;
