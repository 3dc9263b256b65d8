-- dose_conflicts: one row per dose and attribute whose records state different values (one
-- copy 上门, another 门诊), with the value doses kept (sql/models/doses.sql says which) and
-- where each record is, so that the township office can settle it with the clinic.
create or replace table dose_conflicts as
with stated as (
    select person_key, dose, 'mode' as field, mode as value, file_id, sheet, row_number
    from stg_vaccination where mode is not null
    union all
    select person_key, dose, 'site', site, file_id, sheet, row_number
    from stg_vaccination where site is not null
    union all
    select person_key, dose, 'vaccine', vaccine, file_id, sheet, row_number
    from stg_vaccination where vaccine is not null
    union all
    select person_key, dose, 'village_code', village_code, file_id, sheet, row_number
    from stg_vaccination where village_code is not null
),

-- Found by min <> max first (values are never null here): the ordered lists below are then
-- built for the few conflicting doses only, not held in memory for every dose.
conflicting as (
    select person_key, dose, field
    from stated
    group by person_key, dose, field
    having min(value) <> max(value)
),

conflicts as (
    select
        person_key,
        dose,
        field,
        count(*) as records,
        string_agg(distinct value, ',' order by value) as stated_values,
        string_agg(file_id || ':' || sheet || ':' || row_number, ',' order by file_id, sheet, row_number)
            as sources
    from stated
    semi join conflicting using (person_key, dose, field)
    group by person_key, dose, field
)

select
    c.person_key,
    c.dose,
    c.field,
    c.records,
    c.stated_values,
    case c.field
        when 'mode' then d.mode
        when 'site' then d.site
        when 'vaccine' then d.vaccine
        when 'village_code' then d.village_code
    end as kept_value,
    c.sources
from conflicts as c
inner join doses as d using (person_key, dose)
order by c.person_key, c.dose, c.field;
