-- roster_conflicts: one row per person named on more than one roster entry, with what the
-- entries say, so that the township office can settle where the person belongs.
create or replace table roster_conflicts as
select
    person_key,
    count(*) as roster_entries,
    count(distinct village_code) as villages,
    string_agg(distinct village_code, ',' order by village_code) as village_codes,
    string_agg(distinct status, ',' order by status) as statuses,
    string_agg(file_id || ':' || sheet || ':' || row_number, ',' order by file_id, sheet, row_number)
        as sources
from stg_roster
group by person_key
having count(*) > 1;
