-- verification: persons pushed by higher levels for checking, pushed in the period up to
-- $cutoff. One stored row is one push; a push done within 24 hours is completed at most one
-- day after it was pushed. Grain: one 'total' line, one 'by_result' line per result,
-- one 'by_measure' line per control measure.
with pushes as (
    select
        file_id,
        person_key,
        result,
        measure,
        completed_on is not null and completed_on - pushed_on <= 1 as is_within_24h
    from stg_verification
    where pushed_on between $period_start::date and least($period_end::date, $cutoff::date)
),

counted as (
    select
        count(*) as pushed_rows,
        count(distinct person_key) as pushed_persons,
        count(*) filter (where result = 'implemented') as implemented_rows,
        count(*) filter (where is_within_24h) as within_24h_rows,
        count(distinct file_id) as source_files
    from pushes
)

select
    'total' as line,
    pushed_rows,
    pushed_persons,
    implemented_rows,
    coalesce(coverage_pct(implemented_rows, pushed_rows), 0) as implemented_pct,
    within_24h_rows,
    coalesce(coverage_pct(within_24h_rows, pushed_rows), 0) as within_24h_pct,
    source_files,
    pushed_rows as source_rows
from counted

union all by name

select
    'by_result' as line,
    result as code,
    count(*) as count
from pushes
group by result

union all by name

select
    'by_measure' as line,
    measure as code,
    count(*) as count
from pushes
where measure is not null
group by measure

order by line, code;
