-- completeness: what the submissions table (sql/models/submissions.sql, the one rule for
-- what counts as received for the period) says is missing. Grain: one 'total' line, one
-- 'missing' line per village and required kind not received.
with checked as (
    select
        s.village_code,
        s.village_name,
        v.position as village_position,
        s.kind,
        k.position as kind_position,
        s.received
    from submissions as s
    inner join master_villages as v using (village_code)
    inner join master_required_kinds as k using (kind)
),

loaded_files as (
    select rows_loaded
    from ingested_files
    where status = 'loaded'
)

select
    'total' as line,
    count(*) as expected,
    count(*) filter (where received) as received,
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
where not received

order by line, village_position, kind_position;
