"""The learned classifier: category and priority from a ticket's text.

scikit-learn: TF-IDF over words and word pairs, with Chinese and Japanese
(written without spaces) read as characters and character pairs, feeding a
linear model with logistic loss whose probabilities are the confidence.
Trained on resolved tickets' final category and priority, with a held-out
fifth for the accuracy admins see, then refitted on everything. The fitted
pipelines are pickled with joblib into a ClassifierModel row (see its
docstring for why that is safe) and loaded once per process.
"""

import io
import logging
import re
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


WORD = re.compile(r"[^\W\d_]+")
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def features(text):
    """Words and word pairs; runs of Chinese or Japanese, which have no spaces, as single characters and pairs.

    One analyser instead of a union of two vectorisers: a union costs a
    parallel-processing round trip per ticket, ten times the work itself.
    """
    out = []
    previous = None
    for token in WORD.findall(text.lower()):
        if CJK.search(token):
            out.extend(token)
            out.extend(token[i : i + 2] for i in range(len(token) - 1))
            previous = None
            continue
        out.append(token)
        if previous:
            out.append(f"{previous} {token}")
        previous = token
    return out


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=features, sublinear_tf=True)


def _model():
    from sklearn.linear_model import SGDClassifier

    # Logistic loss, so the model gives probabilities: its confidence.
    return SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=1e-4, random_state=0)


def _fit_and_score(texts, targets, *, seed=0):
    """(held-out accuracy, test size): fit on four fifths, score on the rest."""
    from sklearn.model_selection import train_test_split

    counts = {label: list(targets).count(label) for label in set(targets)}
    stratify = targets if min(counts.values()) >= 2 else None
    x_train, x_test, y_train, y_test = train_test_split(
        texts, targets, test_size=0.2, random_state=seed, stratify=stratify
    )
    vectorizer = _vectorizer()
    model = _model().fit(vectorizer.fit_transform(x_train), y_train)
    accuracy = float((model.predict(vectorizer.transform(x_test)) == y_test).mean()) if len(x_test) else None
    return accuracy, len(x_test)


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
    category_accuracy, tested = _fit_and_score(texts, categories)
    # Then on everything, one vocabulary for both models so a ticket is vectorised once.
    vectorizer = _vectorizer()
    matrix = vectorizer.fit_transform(texts)
    pipelines = {"vectorizer": vectorizer, "category": _model().fit(matrix, categories)}
    priority_accuracy = None
    if len(set(priorities.tolist())) >= 2:
        priority_accuracy, _tested = _fit_and_score(texts, priorities)
        pipelines["priority"] = _model().fit(matrix, priorities)
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
    _loaded.clear()
    _loaded[row.pk] = pipelines
    from .config import clear

    clear()
    return row


def _active():
    """(row pk, pipelines) of the model in use, loaded once per process; (None, None) without one."""
    from .config import current

    pk = current().classifier_pk
    if pk is None:
        return None, None
    if pk not in _loaded:
        import joblib

        data = ClassifierModel.objects.filter(pk=pk).values_list("pipeline", flat=True).first()
        _loaded.clear()
        _loaded[pk] = joblib.load(io.BytesIO(bytes(data)))
    return pk, _loaded[pk]


def current_categories():
    from .config import current

    return current().categories


@dataclass(frozen=True)
class Prediction:
    category: Category | None
    category_confidence: float
    priority: int | None
    priority_confidence: float


def _best(model, vector):
    probabilities = model.predict_proba(vector)[0]
    index = int(probabilities.argmax())
    return model.classes_[index], float(probabilities[index])


def predict(subject, body, *, categories=None):
    """The model's category and priority for a ticket's text, or None when there is no model."""
    _pk, pipelines = _active()
    if not pipelines:
        return None
    vector = pipelines["vectorizer"].transform([ticket_text(subject, body)])
    slug, category_confidence = _best(pipelines["category"], vector)
    category = (categories or current_categories()).get(slug)
    priority, priority_confidence = (None, 0.0)
    if "priority" in pipelines:
        priority, priority_confidence = _best(pipelines["priority"], vector)
        priority = int(priority)
    return Prediction(category, round(category_confidence, 2), priority, round(priority_confidence, 2))
