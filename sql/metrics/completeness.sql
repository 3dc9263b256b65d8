-- completeness: for each village of the master data and each required kind, whether a file
-- of that kind was received (loaded) for the period. A ledger whose file names no village
-- of its own (grid, verification, key places, demonstration, vaccination) counts for every
-- village its rows name. Grain: one 'total' line, one 'missing' line per village and
-- required kind not received.
with expected as (
    select
        v.village_code,
        v.village_name,
        v.position as village_position,
        k.kind,
        k.position as kind_position
    from master_villages as v
    cross join master_required_kinds as k
),

loaded_files as (
    select file_id, kind, village_code, rows_loaded
    from ingested_files
    where status = 'loaded'
),

row_villages as (
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
    select distinct
        f.kind,
        coalesce(f.village_code, r.village_code) as village_code
    from loaded_files as f
    left join row_villages as r on f.village_code is null and r.file_id = f.file_id
),

checked as (
    select
        e.*,
        r.kind is not null as is_received
    from expected as e
    left join received as r on r.kind = e.kind and r.village_code = e.village_code
)

select
    'total' as line,
    count(*) as expected,
    count(*) filter (where is_received) as received,
    (select count(*) from loaded_files) as source_files,
    (select coalesce(sum(rows_loaded), 0) from loaded_files) as source_rows
from checked

union all by name

select
    'missing' as line,
    village_code,
    village_name as village,
    village_position,
    kind as code,
    kind_position
from checked
where not is_received

order by line, village_position, kind_position;
