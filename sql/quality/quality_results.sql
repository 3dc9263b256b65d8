-- quality_results: the history of data-quality checks, one row per run and expectation.
-- Appended by every run (a failing one too) from the registered frame new_results;
-- never replaced, so the quality page can show earlier runs.
create table if not exists quality_results (
    run_id varchar not null,
    run_at timestamp not null,
    run_date date not null,
    cutoff_date date not null,
    suite varchar not null,
    table_name varchar not null,
    expectation varchar not null,
    column_name varchar not null,
    severity varchar not null,
    success boolean not null,
    unexpected_count bigint,
    element_count bigint,
    observed_value double,
    error varchar
);

insert into quality_results by name
select * from new_results;
