-- doses: one row per person and dose. The same dose recorded in several files
-- (a clinic export and a village's own list) is one dose, dated by its earliest record.
create or replace table doses as
with records as (
    select * from stg_vaccination
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_key, dose
            order by vaccinated_on, file_id, sheet, row_number
        ) as record_rank,
        count(*) over (partition by person_key, dose) as source_records,
        count(distinct file_id) over (partition by person_key, dose) as source_files
    from records
)

select
    person_key,
    dose,
    vaccinated_on,
    birth_date,
    mode,
    site,
    vaccine,
    village_code,
    source_records,
    source_files,
    file_id,
    sheet,
    row_number
from ranked
where record_rank = 1;
