"""Classify the organisation's own landed posts at build time, into a derived dataset dbt reads like
any landed entity: `<landing>/content/post_classes/date=<build day>/classified.parquet` (core.contract
CONTENT_POST_CLASSES), one row per post of the five organic platforms.

It runs before `dbt build` on every target (warehouse/build.py), so DuckDB reads the file in place
and the PostgreSQL load copies it with the rest of the landing zone. Only the organisation's own
posts are landed, so only they are classified. Each build writes the whole dataset again from the
landing, and the warehouse reads the latest partition: a changed rule, override or labelled
example shows at the next build, with no re-extract.

Per post: the intent (content/classifier.py), the format from the platform's own media type where
the landing has one (Instagram's media_type and media_product_type; YouTube's Shorts tag), else
from the text (a post with a link is a link post, else text), and a service line read from the
text (the campaign's service line, where a post's link is tagged, wins in dbt)."""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from content.classifier import INTENTS, IntentClassifier
from core import storage
from core.contract import CONTENT_POST_CLASSES, CONTENT_SOURCE
from core.landing import RunContext, write_partition
from core.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from core.landing import Root

logger = logging.getLogger(__name__)

OVERRIDES_CSV = PROJECT_ROOT / "dbt" / "seeds" / "content_intent_overrides.csv"
FORMATS = ("video", "short_video", "image", "carousel", "text", "link", "live", "story")
_LINK = re.compile(r"https?://\S+")
_SHORTS = re.compile(r"#shorts\b", re.IGNORECASE)

# Service lines read from a post's words, the first that matches; a post none matches is "general".
_SERVICE_LINES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("cardiology", r"\b(heart|cardi\w*|blood pressure|cholesterol|bypass)\b"),
        ("womens_health", r"\b(birth|pregnan\w*|prenatal|mammogram|breastfeed\w*|lactation|midwi\w*|trimester)"),
        ("oncology", r"\b(cancer|chemo\w*|radiation|oncology)\b"),
        ("pediatrics", r"\b(child\w*|kids?|toddler|pediatric\w*|babies|baby|school|car seat)\b"),
        ("orthopedics", r"\b(knee|hip|joint|spine|orthopedic\w*|physical therapy|sports)\b"),
        ("behavioral_health", r"\b(depression|mental health|stress|counsel\w*|grief)\b"),
        ("emergency", r"\b(emergency|ER|trauma|stroke|911)\b"),
        ("primary_care", r"\b(flu|vaccin\w*|physical|primary care|clinic|screenings?|diabetes|blood sugar)\b"),
    )
)


def service_line_of(text: str | None) -> str | None:
    """The service line a post's words are about, or None."""
    if not text:
        return None
    return next((name for name, pattern in _SERVICE_LINES if pattern.search(text)), None)


def _format_from_text(row: Mapping[str, Any], text: str | None) -> str:
    return "link" if text and _LINK.search(text) else "text"


def _instagram_format(row: Mapping[str, Any], text: str | None) -> str:
    product, media = row.get("media_product_type"), row.get("media_type")
    if product == "STORY":
        return "story"
    if product == "REELS":
        return "short_video"
    return {"VIDEO": "video", "CAROUSEL_ALBUM": "carousel"}.get(media or "", "image")


def _youtube_format(row: Mapping[str, Any], text: str | None) -> str:
    return "short_video" if _SHORTS.search(row.get("title") or "") else "video"


@dataclass(frozen=True)
class LandedPosts:
    """Where a platform's posts land and how their text and format are read."""

    platform: str
    source: str
    entity: str
    account_column: str
    post_column: str
    text_columns: tuple[str, ...]
    format_of: Callable[[Mapping[str, Any], str | None], str] = _format_from_text
    format_columns: tuple[str, ...] = ()

    def text(self, row: Mapping[str, Any]) -> str | None:
        parts = [row[column] for column in self.text_columns if row.get(column)]
        return "\n".join(parts) if parts else None


ORGANIC_POSTS = (
    LandedPosts("facebook", "facebook_pages", "posts", "page_id", "post_id", ("message",)),
    LandedPosts(
        "instagram",
        "instagram",
        "media",
        "account_id",
        "media_id",
        ("caption",),
        _instagram_format,
        ("media_type", "media_product_type"),
    ),
    LandedPosts("x", "x", "posts", "user_id", "post_id", ("text",)),
    LandedPosts("youtube", "youtube", "videos", "channel_id", "video_id", ("title", "description"), _youtube_format),
    LandedPosts("linkedin", "linkedin", "posts", "organization_id", "post_id", ("commentary",)),
)


def read_overrides(path=OVERRIDES_CSV) -> dict[tuple[str, str], str]:
    """A marketer's labels, by (platform, post id): they win over the rules and the model."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    unknown = sorted({row["content_intent"] for row in rows} - set(INTENTS))
    if unknown:
        raise ValueError(f"{path}: unknown content_intent {unknown}; use one of {', '.join(INTENTS)}")
    return {(row["platform"], row["post_id"]): row["content_intent"] for row in rows}


def landed_posts(landing_root: Root, spec: LandedPosts) -> list[dict[str, Any]]:
    """One row per post of `spec`'s entity: the latest landing of it (partitions in date order)."""
    folder = storage.location(landing_root) / spec.source / spec.entity
    columns = [spec.account_column, spec.post_column, *spec.text_columns, *spec.format_columns]
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("date=*/*.parquet"), key=str) if folder.is_dir() else []:
        for row in storage.read_table(path, columns=columns).to_pylist():
            latest[str(row[spec.post_column])] = row
    return list(latest.values())


def classify_landing(landing_root: Root, build_day: date, classifier: IntentClassifier | None = None) -> dict[str, int]:
    """Classify every landed organic post and land the result for `build_day`; returns posts per
    platform. Nothing is written when no post has landed yet (dbt then builds the entity empty)."""
    classifier = classifier or IntentClassifier()
    posts = []
    for spec in ORGANIC_POSTS:
        for row in landed_posts(landing_root, spec):
            text = spec.text(row)
            posts.append((spec, row, text))
    counts = {spec.platform: sum(1 for s, _, _ in posts if s is spec) for spec in ORGANIC_POSTS}
    if not posts:
        return counts
    results = classifier.classify(
        [(spec.platform, str(row[spec.post_column]), text) for spec, row, text in posts], read_overrides()
    )
    rows = [
        {
            "platform": spec.platform,
            "post_id": str(row[spec.post_column]),
            "account_id": str(row[spec.account_column]),
            "content_intent": result.content_intent,
            "intent_probability": result.probability,
            "label_source": result.label_source,
            "rule": result.rule,
            "model_version": result.model_version,
            "needs_review": result.needs_review,
            "format": spec.format_of(row, text),
            "text_service_line": service_line_of(text),
        }
        for (spec, row, text), result in zip(posts, results, strict=True)
    ]
    ctx = RunContext.now(build_day, f"classify-{classifier.model_version}")
    write_partition(CONTENT_SOURCE, "post_classes", "classified", rows, CONTENT_POST_CLASSES, ctx, landing_root)
    logger.info("classified %d posts (%s) with %s", len(rows), counts, classifier.model_version)
    return counts
