-- publicity_totals: the quantity of each publicity kind summed over the reporting period up
-- to the cut-off date ($period_start .. least($period_end, $cutoff)). Each village's log is
-- counted once (repeated and replaced files are retired at ingestion).
-- Grain: one 'total' line.
with in_period as (
    select file_id, kind, quantity
    from stg_publicity
    where activity_on between $period_start::date and least($period_end::date, $cutoff::date)
)

select
    'total' as line,
    coalesce(sum(quantity) filter (where kind = 'broadcast'), 0) as broadcast,
    coalesce(sum(quantity) filter (where kind = 'poster'), 0) as poster,
    coalesce(sum(quantity) filter (where kind = 'banner'), 0) as banner,
    coalesce(sum(quantity) filter (where kind = 'leaflet'), 0) as leaflet,
    coalesce(sum(quantity) filter (where kind = 'audio'), 0) as audio,
    coalesce(sum(quantity) filter (where kind = 'talk'), 0) as talk,
    count(distinct file_id) as source_files,
    count(*) as source_rows
from in_period;
