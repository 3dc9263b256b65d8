-- dose_sequence: one row per village (named on a person's dose-1 record, else on any of
-- their records; null where none names one): persons whose doses break the series.
-- Rules, in the manner of DHIS2 validation rules: dose-2 persons ⊆ dose-1 persons, dose 2
-- not before dose 1, booster persons ⊆ primary series (doses 1 and 2), booster not before
-- dose 2. doses holds one row per person and dose, so each date below is that dose's.
with by_person as (
    select
        person_key,
        coalesce(max(village_code) filter (where dose = 1), max(village_code)) as village_code,
        max(vaccinated_on) filter (where dose = 1) as dose1_on,
        max(vaccinated_on) filter (where dose = 2) as dose2_on,
        max(vaccinated_on) filter (where dose = 3) as booster_on
    from doses
    group by person_key
)

select
    village_code,
    count(*) filter (where dose2_on is not null) as dose2_persons,
    count(*) filter (where dose2_on is not null and dose1_on is null) as dose2_without_dose1,
    count(*) filter (where dose2_on < dose1_on) as dose2_before_dose1,
    count(*) filter (where booster_on is not null) as booster_persons,
    count(*) filter (
        where booster_on is not null and (dose1_on is null or dose2_on is null)
    ) as booster_without_primary,
    count(*) filter (where booster_on < dose2_on) as booster_before_dose2
from by_person
group by village_code
order by village_code;
