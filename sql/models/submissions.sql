-- submissions: one row per village and required file kind (master data): whether a file of
-- that kind naming the village was received for the period, and whether it came on time.
-- Built after load (transforms/completeness.py) with $period_start and $deadline bound and
-- the relations master_villages, master_required_kinds and kind_labels registered.
-- A file's date is its 填报日期 (ingested_files.reported_on), else its file time; a file
-- dated before $period_start belongs to an earlier period. Rosters and publicity logs name
-- their village per file, grid ledgers (and other kinds with a village column) per row.
-- Timeliness goes by the first version a village sent (a later correction is not late);
-- the file that counts is the loaded one.
create or replace table submissions as
with files as (
    select
        file_id,
        path,
        kind,
        status,
        coalesce(try_cast(reported_on as date), cast(modified_at as date)) as submitted_on
    from ingested_files
    where status in ('loaded', 'superseded', 'duplicate', 'held')
),

file_villages as (
    select file_id, village_code from ingested_files where village_code is not null
    union
    select distinct file_id, village_code from stg_grid
    union
    select distinct file_id, village_code from stg_verification
    union
    select distinct file_id, village_code from stg_key_place
    union
    select distinct file_id, village_code from stg_demonstration
    union
    select distinct file_id, village_code from stg_vaccination
),

received as (
    select
        v.village_code,
        f.kind,
        min(f.submitted_on) as submitted_on,
        arg_min(f.path, f.submitted_on) filter (where f.status = 'loaded') as file_path
    from files as f
    inner join file_villages as v using (file_id)
    where f.submitted_on >= $period_start::date and v.village_code is not null
    group by v.village_code, f.kind
)

select
    v.village_code,
    v.village_name,
    k.kind,
    l.kind_label,
    r.file_path is not null as received,
    case when r.file_path is not null then r.submitted_on <= $deadline::date end as on_time,
    case when r.file_path is not null then r.submitted_on end as submitted_on,
    r.file_path
from master_villages as v
cross join master_required_kinds as k
inner join kind_labels as l on l.kind = k.kind
left join received as r on r.village_code = v.village_code and r.kind = k.kind
order by v.position, k.position;
