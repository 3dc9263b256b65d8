-- demonstration: villages taking part in the demonstration-village campaign, the stage they
-- reached, and the party members and volunteers of the villages taking part.
-- Grain: one 'total' line, one 'by_stage' line per stage reached.
with taking_part as (
    select file_id, stage, party_members, volunteers
    from stg_demonstration
    where taking_part = 'yes'
),

all_rows as (
    select file_id from stg_demonstration
)

select
    'total' as line,
    (select count(*) from taking_part) as villages_taking_part,
    (select count(*) from taking_part where stage = 'accepted') as villages_passed,
    (select coalesce(sum(party_members), 0) from taking_part) as party_members,
    (select coalesce(sum(volunteers), 0) from taking_part) as volunteers,
    count(distinct file_id) as source_files,
    count(*) as source_rows
from all_rows

union all by name

select
    'by_stage' as line,
    stage as code,
    count(*) as count
from taking_part
where stage is not null
group by stage

order by line, code;
