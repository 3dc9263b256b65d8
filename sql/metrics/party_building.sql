-- party_building: party members and volunteers mobilised, as every village states them
-- on its row of the demonstration-village ledger (参与党员人数, 志愿者人数), taking part or not.
-- Grain: one 'total' line.
with villages as (
    select file_id, party_members, volunteers
    from stg_demonstration
)

select
    'total' as line,
    coalesce(sum(party_members), 0) as party_members,
    coalesce(sum(volunteers), 0) as volunteers,
    count(distinct file_id) as source_files,
    count(*) as source_rows
from villages;
