-- submission_problems: one row per required submission that is missing or late, by
-- village code and kind, for the quality page.
select
    village_code,
    village_name,
    kind,
    kind_label,
    received,
    on_time,
    submitted_on,
    file_path
from submissions
where not received or not on_time
order by village_code, kind;
