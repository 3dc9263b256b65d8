-- doses: one row per person and dose. The same dose recorded in several files (a clinic
-- export and a village's own list) is one dose, dated by its earliest record. Every other
-- attribute comes from the records that state it, clinic exports before village lists,
-- then the earliest, then the smallest value: a copy without the column never blanks it,
-- and neither a file's name nor its hash decides anything. stated_conflicts counts the
-- attributes whose stated values disagree (listed in dose_conflicts).
create or replace table doses as
with files as (
    -- A clinic exports its own doses, so each of its rows names one and the same site; a
    -- village's list names the clinics its people went to, or none.
    select
        file_id,
        count(site) = count(*) and count(distinct site) = 1 as is_clinic_export
    from stg_vaccination
    group by file_id
),

records as (
    select
        v.*,
        case when f.is_clinic_export then 0 else 1 end as source_rank
    from stg_vaccination as v
    inner join files as f using (file_id)
),

merged as (
    select
        person_key,
        dose,
        min(vaccinated_on) as vaccinated_on,
        min(birth_date) as birth_date,
        first(mode order by source_rank, vaccinated_on, mode) filter (where mode is not null)
            as mode,
        first(site order by source_rank, vaccinated_on, site) filter (where site is not null)
            as site,
        first(vaccine order by source_rank, vaccinated_on, vaccine)
            filter (where vaccine is not null) as vaccine,
        first(village_code order by source_rank, vaccinated_on, village_code)
            filter (where village_code is not null) as village_code,
        count(*) as source_records,
        count(distinct file_id) as source_files,
        (count(distinct mode) > 1)::int
        + (count(distinct site) > 1)::int
        + (count(distinct vaccine) > 1)::int
        + (count(distinct village_code) > 1)::int as stated_conflicts,
        -- The record cited as the source: one that gives the date, a clinic's first. Only
        -- among copies equal in date and rank does the file id choose which one is cited.
        arg_min(
            {'file_id': file_id, 'sheet': sheet, 'row_number': row_number},
            (vaccinated_on, source_rank, file_id, sheet, row_number)
        ) as cited
    from records
    group by person_key, dose
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
    stated_conflicts,
    cited.file_id as file_id,
    cited.sheet as sheet,
    cited.row_number as row_number
from merged;
