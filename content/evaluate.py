"""How well each candidate labels the hand-labelled posts, by stratified k-fold cross-validation:
each fold's posts are labelled by a classifier trained on the other folds only, so no post is
judged by a model that saw it.

Candidates:
- `rules`: the rules alone (content/rules.py); a post no rule matches counts as unlabelled (wrong);
- `model`: TF-IDF + class-balanced logistic regression alone;
- `rules+model`: the classifier as the build runs it, rules first and the model for the rest;
- `rules+nb`: rules first, then a complement naive Bayes on the same features, a cheaper learner.

`python -m content.evaluate` prints the figures; `make bench` writes them into its report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from content.classifier import INTENTS, IntentClassifier, Labelled, read_labelled
from content.rules import clean_text, rule_for

FOLDS = 5
SEED = 16
UNLABELLED = "(none)"


@dataclass(frozen=True)
class Scores:
    candidate: str
    macro_f1: float
    accuracy: float
    per_intent: dict[str, tuple[float, float, float, int]]  # precision, recall, F1, support


def _naive_bayes_predict(train: Sequence[Labelled], texts: Sequence[str]) -> list[str]:
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import Pipeline

    from content.classifier import make_model

    features = make_model().named_steps["features"]
    model = Pipeline([("features", features), ("learner", ComplementNB(alpha=0.3))])
    model.fit([clean_text(row.text) for row in train], [row.intent for row in train])
    return list(model.predict([clean_text(text) for text in texts]))


def _predictors() -> dict[str, Callable[[Sequence[Labelled], Sequence[str]], list[str]]]:
    def rules(_train, texts):
        return [rule.intent if (rule := rule_for(clean_text(t))) else UNLABELLED for t in texts]

    def model(train, texts):
        return [c.content_intent or UNLABELLED for c in IntentClassifier(train, use_rules=False).predict(texts)]

    def rules_model(train, texts):
        return [c.content_intent or UNLABELLED for c in IntentClassifier(train).predict(texts)]

    def rules_nb(train, texts):
        ruled = rules(train, texts)
        rest = [i for i, label in enumerate(ruled) if label == UNLABELLED]
        for i, label in zip(rest, _naive_bayes_predict(train, [texts[i] for i in rest]), strict=True):
            ruled[i] = label
        return ruled

    return {"rules": rules, "model": model, "rules+model": rules_model, "rules+nb": rules_nb}


CANDIDATES = tuple(_predictors())


def cross_validate(labelled: Sequence[Labelled] | None = None, folds: int = FOLDS) -> list[Scores]:
    """Every candidate's scores over the same stratified folds (seeded, so the figures repeat)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold

    rows = list(labelled) if labelled is not None else read_labelled()
    truth = [row.intent for row in rows]
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED).split(rows, truth))
    scores = []
    for name, predict in _predictors().items():
        predicted = [UNLABELLED] * len(rows)
        for train_index, test_index in splits:
            labels = predict([rows[i] for i in train_index], [rows[i].text for i in test_index])
            for i, label in zip(test_index, labels, strict=True):
                predicted[i] = label
        precision, recall, f1, support = precision_recall_fscore_support(
            truth, predicted, labels=list(INTENTS), zero_division=0
        )
        scores.append(
            Scores(
                name,
                float(f1_score(truth, predicted, labels=list(INTENTS), average="macro", zero_division=0)),
                float(accuracy_score(truth, predicted)),
                {
                    intent: (float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
                    for i, intent in enumerate(INTENTS)
                },
            )
        )
    return scores


def report(scores: Sequence[Scores]) -> str:
    """The figures as Markdown: macro-F1 per candidate, then precision and recall per intent."""
    lines = ["| candidate | macro-F1 | accuracy |", "|---|---:|---:|"]
    lines += [f"| {s.candidate} | {s.macro_f1:.3f} | {s.accuracy:.3f} |" for s in scores]
    header = "| intent | support | " + " | ".join(f"{s.candidate} P / R" for s in scores) + " |"
    lines += ["", header, "|---|---:|" + "---:|" * len(scores)]
    for intent in INTENTS:
        support = scores[0].per_intent[intent][3]
        cells = " | ".join(f"{s.per_intent[intent][0]:.2f} / {s.per_intent[intent][1]:.2f}" for s in scores)
        lines.append(f"| {intent} | {support} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(cross_validate()))
