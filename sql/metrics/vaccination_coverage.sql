-- vaccination_coverage: one row of vaccination figures at the cut-off date $cutoff.
-- Denominators are persons in the population base by age at $cutoff; numerators are
-- those of them with a dose dated on or before $cutoff.
with base as (
    select
        person_key,
        age_at(birth_date, $cutoff::date) as age_years
    from persons
    where is_in_base
),

doses_by_cutoff as (
    select
        person_key,
        bool_or(dose = 1) as has_dose_1,
        bool_or(dose = 2) as has_dose_2,
        bool_or(dose = 3) as has_booster
    from doses
    where vaccinated_on <= $cutoff::date
    group by person_key
),

door_to_door as (
    select
        count(*) as door_to_door_doses,
        count(distinct person_key) filter (
            where age_at(birth_date, $cutoff::date) >= 60
        ) as door_to_door_elderly_persons,
        count(distinct person_key) filter (
            where age_at(birth_date, $cutoff::date) between 3 and 11
        ) as door_to_door_children_persons
    from doses
    where mode = 'door_to_door' and vaccinated_on <= $cutoff::date
),

counted as (
    select
        count(*) filter (where b.age_years >= 60) as p60,
        count(*) filter (where b.age_years >= 60 and d.has_dose_1) as v60_dose1,
        count(*) filter (where b.age_years >= 60 and d.has_dose_2) as v60_dose2,
        count(*) filter (where b.age_years >= 18) as p18,
        count(*) filter (where b.age_years >= 18 and d.has_booster) as booster,
        count(*) filter (where b.age_years between 3 and 11) as p3_11,
        count(*) filter (where b.age_years between 3 and 11 and d.has_dose_1) as v3_11_dose1
    from base as b
    left join doses_by_cutoff as d using (person_key)
)

select
    c.p60,
    c.v60_dose1,
    coverage_pct(c.v60_dose1, c.p60) as v60_dose1_pct,
    c.v60_dose2,
    coverage_pct(c.v60_dose2, c.p60) as v60_dose2_pct,
    c.p18,
    c.booster,
    coverage_pct(c.booster, c.p18) as booster_pct,
    c.p3_11,
    c.v3_11_dose1,
    coverage_pct(c.v3_11_dose1, c.p3_11) as v3_11_dose1_pct,
    t.door_to_door_doses,
    t.door_to_door_elderly_persons,
    t.door_to_door_children_persons
from counted as c
cross join door_to_door as t;
