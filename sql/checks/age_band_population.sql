-- age_band_population: one row per village and age band at the cut-off date $cutoff: the
-- persons of the population base on the village's rosters, and the persons whose dose-1
-- record dated on or before $cutoff names the village. The two come from different
-- sources (rosters, vaccination records), so more vaccinated than residents means the
-- rosters miss people. Left out: records naming no village, and persons a roster lists
-- as deceased or moved out (they left the base, not the rosters).
with bands as (
    select *
    from (
        values ('3-11', 3, 11), ('12-17', 12, 17), ('18-59', 18, 59), ('60+', 60, 200)
    ) as b (age_band, min_age, max_age)
),

residents as (
    select
        p.village_code,
        b.age_band,
        count(*) as population
    from persons as p
    inner join bands as b
        on age_at(p.birth_date, $cutoff::date) between b.min_age and b.max_age
    where p.is_in_base
    group by p.village_code, b.age_band
),

vaccinated as (
    select
        d.village_code,
        b.age_band,
        count(distinct d.person_key) as vaccinated
    from doses as d
    inner join bands as b
        on age_at(d.birth_date, $cutoff::date) between b.min_age and b.max_age
    left join persons as p using (person_key)
    where
        d.dose = 1
        and d.vaccinated_on <= $cutoff::date
        and d.village_code is not null
        and coalesce(p.is_in_base, true)
    group by d.village_code, b.age_band
)

select
    coalesce(r.village_code, v.village_code) as village_code,
    coalesce(r.age_band, v.age_band) as age_band,
    coalesce(r.population, 0) as population,
    coalesce(v.vaccinated, 0) as vaccinated
from residents as r
full join vaccinated as v on r.village_code = v.village_code and r.age_band = v.age_band
order by village_code, age_band;
