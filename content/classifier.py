"""What a post sets out to do (its intent), decided in three steps, each explainable:

1. a marketer's override (the dbt seed `content_intent_overrides.csv`, by platform and post id)
   wins over everything, with probability 1;
2. else the first matching rule (content/rules.py), with probability 1;
3. else the model: TF-IDF of word 1-2-grams and character 3-5-grams, and a logistic regression with
   balanced class weights, trained on the hand-labelled posts (content/labelled_posts.csv) each
   time it is built; its probability for the chosen intent is kept, and a post below
   `REVIEW_BELOW` is marked `needs_review`.

Everything is a pure function of the post's text, the seed files and this code: the same landing
gives the same labels, and a changed rule or a new labelled example is a rebuild, never a
re-extract. `model_version` names the code's version and a digest of the labelled posts and the
rules, so labels from different models are told apart."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from content.rules import RULES, clean_text, rule_for

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

INTENTS = ("helpful", "patient_story", "community", "event", "recruiting", "promotional")
LABELLED_POSTS = Path(__file__).with_name("labelled_posts.csv")
# Bump when the features or the learner change (the digest covers the seed and the rules).
MODEL_NAME = "tfidf-lr-1"
# A model label less likely than this is kept, and listed for a marketer to review.
REVIEW_BELOW = 0.5


@dataclass(frozen=True)
class Labelled:
    text: str
    intent: str


def read_labelled(path: Path = LABELLED_POSTS) -> list[Labelled]:
    """The hand-labelled posts (columns post_text, content_intent)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [Labelled(row["post_text"], row["content_intent"]) for row in csv.DictReader(handle)]
    unknown = sorted({row.intent for row in rows} - set(INTENTS))
    if unknown:
        raise ValueError(f"{path}: unknown content_intent {unknown}; use one of {', '.join(INTENTS)}")
    return rows


def make_model() -> Pipeline:
    """The untrained text model: word and character TF-IDF side by side, and a logistic regression
    whose class weights make every intent count alike however few examples it has."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)),
        ]
    )
    learner = LogisticRegression(class_weight="balanced", C=10.0, max_iter=5000)
    return Pipeline([("features", features), ("learner", learner)])


@dataclass(frozen=True)
class Classification:
    content_intent: str | None  # None: no text to read
    probability: float | None
    label_source: str  # override | rule | model | none
    model_version: str
    needs_review: bool
    rule: str | None = None


class IntentClassifier:
    """Overrides, then rules, then the model trained on `labelled` (default: the seed file)."""

    def __init__(self, labelled: Sequence[Labelled] | None = None, use_rules: bool = True) -> None:
        self.labelled = list(labelled) if labelled is not None else read_labelled()
        self.use_rules = use_rules

    @cached_property
    def model(self) -> Pipeline:
        model = make_model()
        model.fit([clean_text(row.text) for row in self.labelled], [row.intent for row in self.labelled])
        return model

    @cached_property
    def model_version(self) -> str:
        digest = hashlib.sha256()
        for row in self.labelled:
            digest.update(f"{row.intent}\t{row.text}\n".encode())
        for rule in RULES if self.use_rules else ():
            digest.update(f"{rule.intent}\t{rule.pattern.pattern}\n".encode())
        return f"{MODEL_NAME}-{digest.hexdigest()[:10]}"

    def predict(self, texts: Sequence[str | None]) -> list[Classification]:
        """The intent of each text (rules first, then the model)."""
        cleaned = [clean_text(text) for text in texts]
        results: list[Classification | None] = [None] * len(cleaned)
        for index, text in enumerate(cleaned):
            if not text:
                results[index] = Classification(None, None, "none", self.model_version, False)
            elif self.use_rules and (rule := rule_for(text)) is not None:
                results[index] = Classification(rule.intent, 1.0, "rule", self.model_version, False, rule.name)
        pending = [index for index, result in enumerate(results) if result is None]
        if pending:
            probabilities = self.model.predict_proba([cleaned[index] for index in pending])
            classes = [str(name) for name in self.model.classes_]
            for index, row in zip(pending, probabilities, strict=True):
                best = int(row.argmax())
                probability = float(row[best])
                results[index] = Classification(
                    classes[best], probability, "model", self.model_version, probability < REVIEW_BELOW
                )
        return [result for result in results if result is not None]

    def classify(
        self, posts: Iterable[tuple[str, str, str | None]], overrides: Mapping[tuple[str, str], str]
    ) -> list[Classification]:
        """The intent of each (platform, post id, text): a marketer's override where there is one."""
        posts = list(posts)
        predicted = self.predict([text for _, _, text in posts])
        return [
            Classification(overrides[(platform, post_id)], 1.0, "override", result.model_version, False)
            if (platform, post_id) in overrides
            else result
            for (platform, post_id, _), result in zip(posts, predicted, strict=True)
        ]
