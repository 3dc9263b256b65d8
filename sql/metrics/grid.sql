-- grid: the grid-management ledgers as villages last submitted them (a ledger is a
-- snapshot, so no date filter). Grain: one 'total' line.
with grids as (
    select file_id, grid_code, grid_workers, households, visited_households
    from stg_grid
)

select
    'total' as line,
    count(distinct grid_code) as grids,
    coalesce(sum(grid_workers), 0) as grid_workers,
    coalesce(sum(households), 0) as households,
    coalesce(sum(visited_households), 0) as visited_households,
    count(distinct file_id) as source_files,
    count(*) as source_rows
from grids;
