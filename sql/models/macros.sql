-- age_at: completed years at a date; a 29 February birthday is reached on 1 March in other years
create or replace macro age_at(birth, on_date) as
    date_diff('year', birth, on_date)
    - case when month(birth) * 100 + day(birth) > month(on_date) * 100 + day(on_date) then 1 else 0 end;

-- coverage_pct: 100 x numerator / denominator, rounded half up to two decimals, capped at 100;
-- null when either is unknown or the denominator is not positive. 64-bit arithmetic, so that
-- 32-bit counts do not overflow.
create or replace macro coverage_pct(numerator, denominator) as
    case when denominator > 0 and numerator is not null then
        least((20000 * numerator::bigint + denominator) // (2 * denominator::bigint), 10000)::decimal(7, 0) / 100
    end::decimal(5, 2);
