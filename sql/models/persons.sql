-- persons: one row per person (keyed ID hash) named on any roster.
-- A person on several rosters is one person. The village and status come from one entry:
-- one that keeps them in the population base if any does, then one that says 在家 (a person
-- at home in one village and away working in another lives in the first), then the smallest
-- village code and status code. What the entries state decides, never a file's name, hash
-- or order. Every entry states both village (its roster's) and status (a required column),
-- and the birth date and sex come from the ID itself, so the merge loses no attribute. A
-- person whose entries name several villages is flagged; roster_conflicts lists them.
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
            order by
                is_in_base_entry desc,
                status = 'at_home' desc,
                village_code,
                status,
                file_id,
                sheet,
                row_number
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
