-- deployment: meetings held and documents issued in the period up to $cutoff.
-- Grain: one 'total' line, one 'meetings_by_type' line per meeting type, one 'documents'
-- line per document.
with entries as (
    select file_id, held_on, title, meeting_type, doc_number
    from stg_meeting
    where held_on between $period_start::date and least($period_end::date, $cutoff::date)
),

documents as (
    select * from entries
    where meeting_type in ('plan_document', 'notice_document')
),

meetings as (
    select * from entries
    where meeting_type not in ('plan_document', 'notice_document')
)

select
    'total' as line,
    (select count(*) from meetings) as meetings_total,
    (select count(*) from documents) as documents_total,
    count(distinct file_id) as source_files,
    count(*) as source_rows
from entries

union all by name

select
    'meetings_by_type' as line,
    meeting_type as code,
    count(*) as count
from meetings
group by meeting_type

union all by name

select
    'documents' as line,
    title,
    doc_number,
    held_on as issued_on
from documents

order by line, issued_on, title, code;
