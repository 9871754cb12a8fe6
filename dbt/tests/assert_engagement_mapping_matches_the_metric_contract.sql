-- docs/metrics.md §1: what counts as an engagement on each platform. Any difference between this
-- contract and seeds/social_metric_map.csv (a missing or an extra engagement metric) fails.
with

contract (platform, source_metric) as (
    values
    ('facebook', 'reactions'), ('facebook', 'comments'), ('facebook', 'shares'),
    ('instagram', 'likes'), ('instagram', 'comments'), ('instagram', 'shares'), ('instagram', 'saved'),
    ('x', 'like_count'), ('x', 'reply_count'), ('x', 'retweet_count'), ('x', 'quote_count'), ('x', 'bookmark_count'),
    ('linkedin', 'likeCount'), ('linkedin', 'commentCount'), ('linkedin', 'shareCount'),
    ('youtube', 'like_count'), ('youtube', 'comment_count'), ('youtube', 'shares'), ('youtube', 'subscribersGained'),
    -- Paid social on Meta counts as Facebook does: reactions + comments + shares.
    ('meta_ads', 'post_reaction'), ('meta_ads', 'comment'), ('meta_ads', 'post'),
    -- docs/metrics.md §8: an employee's share counts reactions + comments + reshares.
    ('employee_advocacy', 'reactions'), ('employee_advocacy', 'comments'), ('employee_advocacy', 'reshares')
),

mapped as (
    select
        platform,
        source_metric
    from {{ ref('social_metric_map') }}
    where metric in ('reactions', 'comments', 'shares', 'saves', 'other_engagements')
),

missing as (
    select
        platform,
        source_metric
    from contract
    except
    select
        platform,
        source_metric
    from mapped
),

extra as (
    select
        platform,
        source_metric
    from mapped
    except
    select
        platform,
        source_metric
    from contract
)

select
    'missing from the map' as problem,
    platform,
    source_metric
from missing
union all
select
    'not an engagement in the contract' as problem,
    platform,
    source_metric
from extra
