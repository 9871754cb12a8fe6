-- Helpful against promotional posts, per month and over all months: share, save and engagement
-- rates by impressions, helpful / promotional, with a 90% interval and a verdict in plain words.
-- An association, not a cause.
--
-- Posts are compared only with posts of the same platform, format and month (a cell), so that a
-- mix of formats, platforms or seasons does not pass for an intent effect. The cells are combined
-- Mantel-Haenszel style: each cell's pooled helpful and promotional rates, weighted by
-- n_helpful * n_promotional / (n_helpful + n_promotional), summed over the cells, and the two sums
-- divided once. Averaging each cell's own ratio instead divides by the promotional rate of cells
-- with few promotional posts, and the mean of such ratios is biased upwards (Jensen): over 30
-- seeded sandbox worlds it averaged 2.2 for a true 2.0, where this averages 2.0.
--
-- The interval is a Poisson bootstrap over posts: replicate 0 is the posts as they are; in
-- replicates 1..n each post counts k times, k drawn from Poisson(1) by the md5 of its id and the
-- replicate number. No random generator, so the same build gives the same interval on every
-- engine, and a cell a replicate leaves one-sided drops out of it by its weight of 0.
{% set replicates = 1000 %}
-- Fewer posts of either intent than this, and the bootstrap cannot tell the spread: too few to judge.
{% set least_posts = 10 %}
-- P(k <= 0), P(k <= 1), ... of Poisson(1); a draw past the last counts the post 7 times.
{% set poisson_steps = [0.36787944, 0.73575888, 0.91969860, 0.98101184, 0.99634015, 0.99940582, 0.99991676] %}
{% set draw_key = "compared_posts.platform || ':' || compared_posts.post_id || ':' || "
    ~ "cast(series.replicate as " ~ dbt.type_string() ~ ")" %}

with

posts as (
    select
        platform,
        format,
        content_intent,
        post_id,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month_start,
        impressions,
        shares,
        saves,
        engagements
    from {{ ref('int_content_posts') }}
    where content_intent in ('helpful', 'promotional') and impressions > 0
),

periods as (
    select distinct
        'month' as period_type,
        month_start as period_start,
        {{ dbt.last_day('month_start', 'month') }} as period_end
    from posts
    union all
    select
        'all' as period_type,
        min(month_start) as period_start,
        {{ dbt.last_day('max(month_start)', 'month') }} as period_end
    from posts
    having count(*) > 0
),

metrics as (
    select 'share_rate' as metric
    union all
    select 'save_rate' as metric
    union all
    select 'engagement_rate' as metric
),

-- Each post in each period it falls in, once per metric, with what that metric counts.
measured as (
    select
        periods.period_type,
        periods.period_start,
        metrics.metric,
        posts.platform,
        posts.format,
        posts.month_start,
        posts.post_id,
        posts.content_intent,
        posts.impressions,
        case metrics.metric
            when 'share_rate' then posts.shares
            when 'save_rate' then posts.saves
            else posts.engagements
        end as events
    from posts
    inner join periods
        on periods.period_type = 'all' or posts.month_start = periods.period_start
    cross join metrics
),

-- Cells that can compare: both intents posted, and the metric counted at least once (a platform
-- that counts no saves says nothing about save rates).
cells as (
    select
        period_type,
        period_start,
        metric,
        platform,
        format,
        month_start
    from measured
    group by period_type, period_start, metric, platform, format, month_start
    having
        sum(case when content_intent = 'helpful' then 1 else 0 end) > 0
        and sum(case when content_intent = 'promotional' then 1 else 0 end) > 0
        and sum(events) > 0
),

compared as (
    select measured.*
    from measured
    inner join cells
        on
            measured.period_type = cells.period_type
            and measured.period_start = cells.period_start
            and measured.metric = cells.metric
            and measured.platform = cells.platform
            and measured.format = cells.format
            and measured.month_start = cells.month_start
),

compared_posts as (
    select distinct
        platform,
        post_id
    from compared
),

draws as (
    select
        compared_posts.platform,
        compared_posts.post_id,
        cast(series.replicate as integer) as replicate,
        {{ hash_fraction(draw_key) }} as draw
    from compared_posts
    cross join generate_series(1, {{ replicates }}) as series (replicate)
),

weights as (
    select
        platform,
        post_id,
        0 as replicate,
        1 as weight
    from compared_posts
    union all
    select
        platform,
        post_id,
        replicate,
        case
            {%- for step in poisson_steps %}
                when draw < {{ step }} then {{ loop.index0 }}
            {%- endfor %}
            else {{ poisson_steps | length }}
        end as weight
    from draws
),

strata as (
    select
        compared.period_type,
        compared.period_start,
        compared.metric,
        weights.replicate,
        compared.platform,
        compared.format,
        compared.month_start,
        sum(case when compared.content_intent = 'helpful' then weights.weight else 0 end) as helpful_posts,
        sum(case when compared.content_intent = 'promotional' then weights.weight else 0 end) as promotional_posts,
        sum(
            case when compared.content_intent = 'helpful' then weights.weight * compared.impressions else 0 end
        ) as helpful_impressions,
        sum(
            case when compared.content_intent = 'promotional' then weights.weight * compared.impressions else 0 end
        ) as promotional_impressions,
        sum(case when compared.content_intent = 'helpful' then weights.weight * compared.events else 0 end)
            as helpful_events,
        sum(case when compared.content_intent = 'promotional' then weights.weight * compared.events else 0 end)
            as promotional_events
    from compared
    inner join weights on compared.platform = weights.platform and compared.post_id = weights.post_id
    group by
        compared.period_type,
        compared.period_start,
        compared.metric,
        weights.replicate,
        compared.platform,
        compared.format,
        compared.month_start
),

-- A cell one intent is missing from (in a replicate) weighs 0.
weighted as (
    select
        period_type,
        period_start,
        metric,
        replicate,
        helpful_posts,
        promotional_posts,
        case
            when helpful_posts > 0 and promotional_posts > 0
                then {{ safe_divide('helpful_posts * promotional_posts', 'helpful_posts + promotional_posts') }}
            else 0
        end as cell_weight,
        {{ safe_divide('helpful_events', 'helpful_impressions') }} as helpful_rate,
        {{ safe_divide('promotional_events', 'promotional_impressions') }} as promotional_rate
    from strata
),

combined as (
    select
        period_type,
        period_start,
        metric,
        replicate,
        count(*) as cells,
        sum(helpful_posts) as helpful_posts,
        sum(promotional_posts) as promotional_posts,
        -- Summed as decimals, not doubles: a parallel sum of doubles adds in a different order on
        -- each run, so a rebuild of the same posts would publish other last digits.
        sum(cast(cell_weight as decimal(38, 18))) as total_weight,
        sum(case when cell_weight > 0 then cast(cell_weight * helpful_rate as decimal(38, 18)) else 0 end)
            as helpful_sum,
        sum(case when cell_weight > 0 then cast(cell_weight * promotional_rate as decimal(38, 18)) else 0 end)
            as promotional_sum
    from weighted
    group by period_type, period_start, metric, replicate
),

ratios as (
    select
        *,
        {{ safe_divide('helpful_sum', 'promotional_sum') }} as ratio
    from combined
),

intervals as (
    select
        period_type,
        period_start,
        metric,
        percentile_cont(0.05) within group (order by ratio) as ratio_low,
        percentile_cont(0.95) within group (order by ratio) as ratio_high
    from ratios
    where replicate > 0 and ratio is not null
    group by period_type, period_start, metric
),

estimates as (
    select
        periods.period_type,
        periods.period_start,
        periods.period_end,
        metrics.metric,
        replace(metrics.metric, '_', ' ') as metric_words,
        coalesce(ratios.helpful_posts, 0) as helpful_posts,
        coalesce(ratios.promotional_posts, 0) as promotional_posts,
        coalesce(ratios.cells, 0) as cells,
        -- Both rates over the same cells with the same weights, so that ratio = their quotient.
        {{ safe_divide('ratios.helpful_sum', 'ratios.total_weight') }} as helpful_rate,
        {{ safe_divide('ratios.promotional_sum', 'ratios.total_weight') }} as promotional_rate,
        ratios.ratio,
        intervals.ratio_low,
        intervals.ratio_high
    from periods
    cross join metrics
    left join ratios
        on
            periods.period_type = ratios.period_type
            and periods.period_start = ratios.period_start
            and metrics.metric = ratios.metric
            and ratios.replicate = 0
    left join intervals
        on
            periods.period_type = intervals.period_type
            and periods.period_start = intervals.period_start
            and metrics.metric = intervals.metric
),

findings as (
    select
        *,
        case
            when
                ratio is null or ratio_low is null
                or helpful_posts < {{ least_posts }} or promotional_posts < {{ least_posts }}
                then 'too_few_posts'
            when ratio_low > 1 then 'helpful_higher'
            when ratio_high < 1 then 'promotional_higher'
            else 'no_clear_difference'
        end as finding,
        {{ number_text('ratio') }} || '×' as ratio_text,
        '90% interval ' || {{ number_text('ratio_low') }} || '–' || {{ number_text('ratio_high') }} || '×; '
        || cast(helpful_posts + promotional_posts as {{ dbt.type_string() }}) || ' posts' as interval_text
    from estimates
)

select
    period_type,
    period_start,
    period_end,
    metric,
    helpful_posts,
    promotional_posts,
    cells,
    helpful_rate,
    promotional_rate,
    ratio,
    ratio_low,
    ratio_high,
    finding,
    case finding
        when 'too_few_posts'
            then
                'Too few helpful and promotional posts of the same platform, format and month to compare their '
                || metric_words || ' yet (' || cast(helpful_posts as {{ dbt.type_string() }}) || ' helpful, '
                || cast(promotional_posts as {{ dbt.type_string() }}) || ' promotional; '
                || '{{ least_posts }} of each needed).'
        when 'no_clear_difference'
            then
                'No clear difference between helpful and promotional posts in ' || metric_words
                || ' yet (helpful ' || ratio_text || ' promotional on the same platform, format and month; '
                || interval_text || ').'
        else
            'Helpful posts earned ' || ratio_text || ' the ' || metric_words
            || ' of promotional posts on the same platform, format and month (' || interval_text || ').'
    end as verdict
from findings
