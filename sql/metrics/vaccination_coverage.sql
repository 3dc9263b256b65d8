-- vaccination_coverage: vaccination figures at the cut-off date $cutoff.
-- Denominators are persons in the population base by age at $cutoff; numerators are those
-- of them with a dose dated on or before $cutoff. Door-to-door figures count doses given
-- at home to persons in the base. Grain: one 'total' line for the township, one
-- 'village_coverage' line per village of the base (village names from master data; a rate
-- without persons to count is null).
with base as (
    select
        person_key,
        village_code,
        age_at(birth_date, $cutoff::date) as age_years,
        file_id
    from persons
    where is_in_base
),

doses_by_cutoff as (
    select
        person_key,
        bool_or(dose = 1) as has_dose_1,
        bool_or(dose = 2) as has_dose_2,
        bool_or(dose = 3) as has_booster,
        count(*) filter (where mode = 'door_to_door') as door_to_door_doses
    from doses
    where vaccinated_on <= $cutoff::date
    group by person_key
),

persons_vaccinated as (
    select
        b.person_key,
        b.village_code,
        b.age_years,
        coalesce(d.has_dose_1, false) as has_dose_1,
        coalesce(d.has_dose_2, false) as has_dose_2,
        coalesce(d.has_booster, false) as has_booster,
        coalesce(d.door_to_door_doses, 0) as door_to_door_doses
    from base as b
    left join doses_by_cutoff as d using (person_key)
),

by_village as (
    select
        village_code,
        count(*) as base,
        count(*) filter (where age_years >= 60) as p60,
        count(*) filter (where age_years >= 60 and has_dose_1) as v60_dose1,
        count(*) filter (where age_years >= 60 and has_dose_2) as v60_dose2,
        count(*) filter (where age_years >= 18) as p18,
        count(*) filter (where age_years >= 18 and has_booster) as booster,
        count(*) filter (where age_years between 3 and 11) as p3_11,
        count(*) filter (where age_years between 3 and 11 and has_dose_1) as v3_11_dose1,
        sum(door_to_door_doses) as door_to_door_doses,
        count(*) filter (where door_to_door_doses > 0 and age_years >= 60)
            as door_to_door_elderly_persons,
        count(*) filter (where door_to_door_doses > 0 and age_years between 3 and 11)
            as door_to_door_children_persons
    from persons_vaccinated
    group by village_code
),

township as (
    select
        sum(base) as base,
        sum(p60) as p60,
        sum(v60_dose1) as v60_dose1,
        sum(v60_dose2) as v60_dose2,
        sum(p18) as p18,
        sum(booster) as booster,
        sum(p3_11) as p3_11,
        sum(v3_11_dose1) as v3_11_dose1,
        sum(door_to_door_doses) as door_to_door_doses,
        sum(door_to_door_elderly_persons) as door_to_door_elderly_persons,
        sum(door_to_door_children_persons) as door_to_door_children_persons
    from by_village
),

sources as (
    select
        (select count(distinct file_id) from stg_roster)
        + (select count(distinct file_id) from stg_vaccination) as source_files,
        (select count(*) from stg_roster)
        + (select count(*) from stg_vaccination) as source_rows
)

select
    'total' as line,
    coalesce(t.base, 0)::bigint as base,
    coalesce(t.p60, 0)::bigint as p60,
    coalesce(t.v60_dose1, 0)::bigint as v60_dose1,
    coalesce(coverage_pct(t.v60_dose1, t.p60), 0) as v60_dose1_pct,
    coalesce(t.v60_dose2, 0)::bigint as v60_dose2,
    coalesce(coverage_pct(t.v60_dose2, t.p60), 0) as v60_dose2_pct,
    coalesce(t.p18, 0)::bigint as p18,
    coalesce(t.booster, 0)::bigint as booster,
    coalesce(coverage_pct(t.booster, t.p18), 0) as booster_pct,
    coalesce(t.p3_11, 0)::bigint as p3_11,
    coalesce(t.v3_11_dose1, 0)::bigint as v3_11_dose1,
    coalesce(coverage_pct(t.v3_11_dose1, t.p3_11), 0) as v3_11_dose1_pct,
    coalesce(t.door_to_door_doses, 0)::bigint as door_to_door_doses,
    coalesce(t.door_to_door_elderly_persons, 0)::bigint as door_to_door_elderly_persons,
    coalesce(t.door_to_door_children_persons, 0)::bigint as door_to_door_children_persons,
    s.source_files,
    s.source_rows
from township as t
cross join sources as s

union all by name

select
    'village_coverage' as line,
    v.village_code,
    coalesce(m.village_name, v.village_code) as village,
    m.position as village_position,
    v.base,
    v.p60,
    v.v60_dose1,
    coverage_pct(v.v60_dose1, v.p60) as v60_dose1_pct,
    v.v60_dose2,
    coverage_pct(v.v60_dose2, v.p60) as v60_dose2_pct,
    v.p18,
    v.booster,
    coverage_pct(v.booster, v.p18) as booster_pct
from by_village as v
left join master_villages as m using (village_code)

order by line, village_position, village_code;
