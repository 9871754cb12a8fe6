"""The rules of the content classifier: phrases that say what a post is for, without a model.

A rule names an intent and a pattern; the first rule that matches a post's text decides, so the
order matters. Recruiting comes before promotional because a job ad names pay ("sign-on bonuses up
to $15,000") the way a sales post names a price; promotional comes before helpful because a tip
that ends in "book your screening today" is a sales pitch. Patient stories and community news have
no rule: they are told apart by the model.

Patterns run on the cleaned text (`clean_text`): links are removed first, since a tagged link
carries words such as `facebook` and `schedule`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_URL = re.compile(r"https?://\S+|www\.\S+")
# LinkedIn's little text format: {hashtag|\#|Nursing} is the hashtag #Nursing.
_LITTLE_HASHTAG = re.compile(r"\{hashtag\|\\?#\|([^}]*)\}")
_SPACE = re.compile(r"\s+")


def clean_text(text: str | None) -> str:
    """A post's words as the classifier reads them: no links, LinkedIn hashtags as #tags, one
    space between words."""
    if not text:
        return ""
    text = _LITTLE_HASHTAG.sub(r"#\1", text)
    return _SPACE.sub(" ", _URL.sub(" ", text)).strip()


@dataclass(frozen=True)
class Rule:
    name: str
    intent: str
    pattern: re.Pattern[str]


def _rule(name: str, intent: str, pattern: str) -> Rule:
    return Rule(name, intent, re.compile(pattern, re.IGNORECASE))


_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)"

RULES: tuple[Rule, ...] = (
    _rule("hiring", "recruiting", r"\b(we'?re|now) hiring\b|\bhiring (event|nurses)\b"),
    _rule("join the team", "recruiting", r"\bjoin (our|the) (\w+ ){0,2}team\b"),
    _rule("open roles", "recruiting", r"\bopen (roles|positions)\b|\bsign-on bonus|\bcareers? (page|fair)\b"),
    _rule(
        "book or schedule", "promotional", r"\b(book|schedule|reserve)\b\s+(now|today|online|ahead|yours?|an?|the)\b"
    ),
    _rule("to book", "promotional", r"\bto (book|schedule)\b"),
    _rule("call today", "promotional", r"\bcall (us )?today\b"),
    _rule("percent off", "promotional", r"\d+\s?% off\b"),
    _rule("price", "promotional", r"\b(for|just|only|from)\s+\$\d+|\bpric(es|ing)\b"),
    _rule("offer", "promotional", r"\b(limited[- ]time|special offer|on sale|discount)\b"),
    _rule("appointments available", "promotional", r"\bappointments (are )?available\b"),
    _rule("how to", "helpful", r"\bhow to\b|\bwhat to expect\b|\bwhen to (call|go|see|come)\b"),
    _rule("signs of", "helpful", r"\b(warning )?signs of\b|\bsymptoms\b"),
    _rule("tips", "helpful", r"\btips?\b|\bdid you know\b"),
    _rule("dated event", "event", rf"\b(this|next|every) {_WEEKDAY}\b.*\b\d{{1,2}}(:\d\d)?\s?(am|pm)\b"),
)


def rule_for(text: str) -> Rule | None:
    """The first rule that matches the cleaned `text`, or None."""
    return next((rule for rule in RULES if rule.pattern.search(text)), None)
