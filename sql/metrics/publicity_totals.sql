-- publicity_totals: one row, the quantity of each publicity kind summed over the
-- reporting period up to the cut-off date ($period_start .. least($period_end, $cutoff)).
with in_period as (
    select kind, quantity
    from stg_publicity
    where activity_on between $period_start::date and least($period_end::date, $cutoff::date)
)

select
    coalesce(sum(quantity) filter (where kind = 'broadcast'), 0) as broadcast,
    coalesce(sum(quantity) filter (where kind = 'poster'), 0) as poster,
    coalesce(sum(quantity) filter (where kind = 'banner'), 0) as banner,
    coalesce(sum(quantity) filter (where kind = 'leaflet'), 0) as leaflet,
    coalesce(sum(quantity) filter (where kind = 'audio'), 0) as audio,
    coalesce(sum(quantity) filter (where kind = 'talk'), 0) as talk
from in_period;
