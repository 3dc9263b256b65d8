-- run_history: one row per run recorded in quality_results, newest first (the last twenty):
-- how many checks ran, how many critical ones failed, how many warnings.
select
    run_id,
    run_at,
    run_date,
    cutoff_date,
    count(*) as checks,
    count(*) filter (where not success and severity = 'critical') as critical_failed,
    count(*) filter (where not success and severity = 'warning') as warnings
from quality_results
group by run_id, run_at, run_date, cutoff_date
order by run_at desc
limit 20;
