-- reserves: medical resources and reserves at $cutoff. Per clinic and item, the figure of
-- its latest row dated on or before $cutoff, with the quota that row's 储备定额 note states
-- (parsed into (item, quota) pairs at normalization), else the master data's quota.
-- Grain: one 'total' line, one 'items' line per clinic and item, one 'totals' line per item.
with reports as (
    select
        coalesce(c.clinic_code, r.unit) as clinic_key,
        c.clinic_code,
        coalesce(c.clinic_name, r.unit) as clinic,
        c.position as clinic_position,
        r.file_id,
        r.row_number,
        r.reported_on,
        r.quota_note,
        r.beds,
        r.fever_rooms,
        r.oxygen_concentrators,
        r.oximeters,
        r.antipyretic_boxes,
        r.antigen_tests
    from stg_reserve as r
    left join master_clinics as c on trim(r.unit) = c.label
    where r.reported_on <= $cutoff::date
),

stock as (
    unpivot reports
    on beds, fever_rooms, oxygen_concentrators, oximeters, antipyretic_boxes, antigen_tests
    into name item value value
),

latest as (
    select *
    from stock
    qualify row_number() over (
        partition by clinic_key, item
        order by reported_on desc, file_id desc, row_number desc
    ) = 1
),

note_quotas as (
    -- a note naming an item twice keeps the larger quota
    select l.clinic_key, l.item, max(q.quota) as quota
    from latest as l, unnest(l.quota_note) as t(q)
    where q.item = l.item
    group by l.clinic_key, l.item
),

items as (
    select
        l.clinic_code,
        l.clinic,
        l.clinic_position,
        l.item,
        list_position(
            ['beds', 'fever_rooms', 'oxygen_concentrators', 'oximeters',
             'antipyretic_boxes', 'antigen_tests'],
            l.item
        ) as item_position,
        l.value,
        coalesce(n.quota, m.quota) as quota,
        l.reported_on
    from latest as l
    left join note_quotas as n using (clinic_key, item)
    left join master_reserve_quotas as m on m.clinic_code = l.clinic_code and m.item = l.item
)

select
    'total' as line,
    count(distinct file_id) as source_files,
    count(*) as source_rows
from reports

union all by name

select
    'items' as line,
    clinic_code,
    clinic,
    clinic_position,
    item,
    item_position,
    value,
    quota,
    reported_on
from items

union all by name

select
    'totals' as line,
    item,
    any_value(item_position) as item_position,
    sum(value) as value
from items
group by item

order by line, clinic_position nulls last, clinic, item_position;
