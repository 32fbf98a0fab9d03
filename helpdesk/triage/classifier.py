"""The learned classifier: category and priority from a ticket's text.

scikit-learn: TF-IDF over words (and word pairs) plus character n-grams
(which is what lets Chinese and Japanese, written without spaces, be read at
all), feeding a logistic regression whose probabilities are the confidence.
Trained on resolved tickets' final category and priority, with a held-out
fifth for the accuracy admins see, then refitted on everything. The fitted
pipelines are pickled with joblib into a ClassifierModel row (see its
docstring for why that is safe) and loaded once per process.
"""

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import DONE_STATUSES, Category, ClassifierModel, Ticket

logger = logging.getLogger(__name__)
MAX_TRAINING_TICKETS = 20000
_loaded = {}  # ClassifierModel pk -> pipelines, for this process


class NotEnoughData(Exception):
    pass


def ticket_text(subject, body):
    return f"{subject or ''}\n{(body or '')[:2000]}"


def _pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)),
        ]
    )
    return Pipeline([("features", features), ("model", LogisticRegression(C=8.0, max_iter=2000))])


def _fit_and_score(texts, labels, *, seed=0):
    """(held-out accuracy, test size, pipeline fitted on all of it)."""
    from sklearn.model_selection import train_test_split

    counts = {label: labels.count(label) for label in set(labels)}
    stratify = labels if min(counts.values()) >= 2 else None
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.2, random_state=seed, stratify=stratify
    )
    held_out = _pipeline().fit(x_train, y_train)
    accuracy = float((held_out.predict(x_test) == y_test).mean()) if x_test else None
    return accuracy, len(x_test), _pipeline().fit(texts, labels)


def train(examples):
    """Fit on `examples` [(text, category slug, priority)], returning (pipelines, report) without saving."""
    examples = [e for e in examples if e[1]]
    if len(examples) < max(settings.FIRSTLINE_TRIAGE_MIN_TRAINING, 10) or len({e[1] for e in examples}) < 2:
        raise NotEnoughData(
            f"{len(examples)} resolved tickets with a category; "
            f"at least {settings.FIRSTLINE_TRIAGE_MIN_TRAINING} in two or more categories are needed."
        )
    import numpy as np

    texts = [e[0] for e in examples]
    categories = np.array([e[1] for e in examples])
    priorities = np.array([e[2] for e in examples])
    category_accuracy, tested, category_model = _fit_and_score(texts, list(categories))
    pipelines = {"category": category_model}
    priority_accuracy = None
    if len(set(priorities.tolist())) >= 2:
        priority_accuracy, _tested, pipelines["priority"] = _fit_and_score(texts, list(priorities))
    report = {
        "trained_on": len(examples) - tested,
        "tested_on": tested,
        "category_accuracy": category_accuracy,
        "priority_accuracy": priority_accuracy,
        "labels": sorted(set(categories.tolist())),
    }
    return pipelines, report


def training_examples():
    rows = (
        Ticket.objects.filter(status__in=DONE_STATUSES, category__isnull=False)
        .order_by("-resolved_at", "-pk")
        .values_list("subject", "description", "category__slug", "priority")[:MAX_TRAINING_TICKETS]
    )
    return [(ticket_text(subject, body), slug, priority) for subject, body, slug, priority in rows]


def retrain(examples=None):
    """Train on resolved tickets (or `examples`) and put the new model in use; returns its row."""
    import joblib

    pipelines, report = train(training_examples() if examples is None else examples)
    buffer = io.BytesIO()
    joblib.dump(pipelines, buffer, compress=3)
    with transaction.atomic():
        ClassifierModel.objects.filter(is_active=True).update(is_active=False)
        row = ClassifierModel.objects.create(
            created_at=timezone.now(), is_active=True, pipeline=buffer.getvalue(), **report
        )
    _loaded[row.pk] = pipelines
    return row


def _active():
    """(row pk, pipelines) of the model in use, loaded once per process; (None, None) without one."""
    pk = ClassifierModel.objects.filter(is_active=True).values_list("pk", flat=True).first()
    if pk is None:
        return None, None
    if pk not in _loaded:
        import joblib

        data = ClassifierModel.objects.filter(pk=pk).values_list("pipeline", flat=True).first()
        _loaded.clear()
        _loaded[pk] = joblib.load(io.BytesIO(bytes(data)))
    return pk, _loaded[pk]


@dataclass(frozen=True)
class Prediction:
    category: Category | None
    category_confidence: float
    priority: int | None
    priority_confidence: float


def _best(pipeline, text):
    probabilities = pipeline.predict_proba([text])[0]
    index = int(probabilities.argmax())
    return pipeline.classes_[index], float(probabilities[index])


def predict(subject, body, *, categories=None):
    """The model's category and priority for a ticket's text, or None when there is no model."""
    _pk, pipelines = _active()
    if not pipelines:
        return None
    text = ticket_text(subject, body)
    slug, category_confidence = _best(pipelines["category"], text)
    category = Category.objects.filter(slug=slug).first() if categories is None else categories.get(slug)
    priority, priority_confidence = (None, 0.0)
    if "priority" in pipelines:
        priority, priority_confidence = _best(pipelines["priority"], text)
        priority = int(priority)
    return Prediction(category, round(category_confidence, 2), priority, round(priority_confidence, 2))
