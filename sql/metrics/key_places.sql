-- key_places: inspections of key places in the period up to $cutoff. Places are distinct
-- place names; problems rectified are the problems found on rows marked rectified.
-- Grain: one 'total' line, one 'places_by_type' line per place type.
with inspections as (
    select file_id, place_name, place_type, problems_found, rectification
    from stg_key_place
    where inspected_on between $period_start::date and least($period_end::date, $cutoff::date)
)

select
    'total' as line,
    count(*) as inspections,
    count(distinct place_name) as places,
    coalesce(sum(problems_found), 0) as problems_found,
    coalesce(sum(problems_found) filter (where rectification = 'rectified'), 0)
        as problems_rectified,
    count(distinct file_id) as source_files,
    count(*) as source_rows
from inspections

union all by name

select
    'places_by_type' as line,
    place_type as code,
    count(distinct place_name) as count
from inspections
group by place_type

order by line, code;
