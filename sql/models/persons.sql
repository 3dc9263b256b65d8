-- persons: one row per person (keyed ID hash) named on any roster.
-- A person on several rosters is one person; the village comes from an entry that keeps
-- them in the population base, and the conflict is flagged.
create or replace table persons as
with entries as (
    select
        *,
        status not in ('deceased', 'moved_out') as is_in_base_entry
    from stg_roster
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_key
            order by is_in_base_entry desc, file_id, sheet, row_number
        ) as entry_rank
    from entries
),

summarised as (
    select
        person_key,
        bool_or(is_in_base_entry) as is_in_base,
        count(*) as roster_entries,
        count(distinct village_code) as roster_villages
    from entries
    group by person_key
)

select
    r.person_key,
    r.birth_date,
    r.sex,
    r.village_code,
    r.status,
    s.is_in_base,
    s.roster_entries,
    s.roster_villages > 1 as has_roster_conflict,
    r.file_id,
    r.sheet,
    r.row_number
from ranked as r
inner join summarised as s using (person_key)
where r.entry_rank = 1;
