"""The learned classifier: accuracy on the fixed dataset, thresholds, suggestions agents answer, retraining."""

import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from helpdesk import services
from helpdesk.models import (
    ClassifierModel,
    EventKind,
    Priority,
    SuggestionOutcome,
    TicketEvent,
    TicketTriage,
)
from helpdesk.tasks import retrain_triage_classifier
from helpdesk.triage import classifier, reasons

from .factories import AgentFactory, CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db
DATASET = Path(__file__).resolve().parents[2] / "bench" / "data" / "triage_dataset.jsonl"
SLUGS = ["account-access", "billing", "bug-report", "connectivity", "feature-request", "how-to", "security"]


def dataset():
    with DATASET.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def examples(rows):
    return [(classifier.ticket_text(r["subject"], r["body"]), r["category"], r["priority"]) for r in rows]


@pytest.fixture
def categories(db):
    return {slug: CategoryFactory(slug=slug, name=slug.replace("-", " ").capitalize()) for slug in SLUGS}


@pytest.fixture(scope="module")
def trained():
    """Pipelines fitted once for the module on four fifths of the fixed set."""
    rows = dataset()
    pipelines, report = classifier.train([e for i, e in enumerate(examples(rows)) if i % 5])
    return pipelines, report, [r for i, r in enumerate(rows) if not i % 5]


@pytest.fixture
def model(trained, categories, settings):
    """The module's pipelines, stored as the model in use."""
    import io

    import joblib

    pipelines, report, _held_out = trained
    buffer = io.BytesIO()
    joblib.dump(pipelines, buffer)
    return ClassifierModel.objects.create(is_active=True, pipeline=buffer.getvalue(), **report)


def test_the_fixed_dataset_is_large_labelled_and_multilingual():
    rows = dataset()
    assert len(rows) >= 1000
    assert {r["language"] for r in rows} == {"en", "es", "fr", "de", "pt", "ja", "zh-hans"}
    assert {r["category"] for r in rows} == set(SLUGS)


def test_accuracy_on_held_out_tickets_is_above_the_floor(trained, model):
    _pipelines, report, held_out = trained
    right = sum(classifier.predict(r["subject"], r["body"]).category.slug == r["category"] for r in held_out)
    assert right / len(held_out) >= 0.9
    assert report["category_accuracy"] >= 0.9 and report["priority_accuracy"] >= 0.75


def test_confident_model_sets_the_category_and_says_so(model, alice):
    ticket = services.create_ticket(
        alice, requester=alice, subject="Cannot sign in", description="The login page says my password is wrong."
    )
    assert ticket.category.slug == "account-access"
    triage = TicketTriage.objects.get(ticket=ticket)
    assert triage.suggestion_applied and triage.outcome == SuggestionOutcome.PENDING
    data = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRIAGED, data__what="category").data
    with translation.override("en"):
        assert reasons.explain(data).startswith("model, 0.")


def test_below_the_threshold_the_model_only_suggests(model, alice, settings):
    settings.FIRSTLINE_TRIAGE_CONFIDENCE = 1.01
    ticket = services.create_ticket(
        alice, requester=alice, subject="Cannot sign in", description="The login page says my password is wrong."
    )
    triage = TicketTriage.objects.get(ticket=ticket)
    assert ticket.category is None and not triage.suggestion_applied
    assert triage.suggested_category.slug == "account-access" and triage.outcome == SuggestionOutcome.PENDING


def test_an_explicit_category_is_kept(model, alice, categories):
    ticket = services.create_ticket(
        alice, requester=alice, subject="Cannot sign in", description="Wrong password.", category=categories["billing"]
    )
    assert ticket.category == categories["billing"]


def test_agent_keeps_or_corrects_the_suggestion_in_one_click(model, alice, client, categories, settings):
    settings.FIRSTLINE_TRIAGE_CONFIDENCE = 1.01
    agent = AgentFactory()
    client.force_login(agent)
    first = services.create_ticket(alice, requester=alice, subject="Cannot sign in", description="Wrong password.")
    second = services.create_ticket(alice, requester=alice, subject="Cannot sign in", description="Wrong password.")
    page = client.get(reverse("helpdesk:ticket-detail", args=[first.ref])).content.decode()
    assert "Suggested category" in page and 'name="keep"' in page
    response = client.post(
        reverse("helpdesk:ticket-suggestion", args=[first.ref]), {"keep": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "was kept" in response.content.decode()
    response = client.post(
        reverse("helpdesk:ticket-suggestion", args=[second.ref]),
        {"correct": "1", "category": categories["billing"].pk},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.category.slug == "account-access" and second.category.slug == "billing"
    outcomes = dict(TicketTriage.objects.values_list("ticket_id", "outcome"))
    assert outcomes == {first.pk: SuggestionOutcome.KEPT, second.pk: SuggestionOutcome.CORRECTED}
    # A second answer changes nothing.
    client.post(
        reverse("helpdesk:ticket-suggestion", args=[first.ref]), {"correct": "1", "category": categories["billing"].pk}
    )
    first.refresh_from_db()
    assert first.category.slug == "account-access"


def test_changing_the_category_by_hand_answers_the_suggestion(model, alice, categories):
    ticket = services.create_ticket(alice, requester=alice, subject="Cannot sign in", description="Wrong password.")
    services.update_ticket(AgentFactory(), ticket, category=categories["billing"])
    assert TicketTriage.objects.get(ticket=ticket).outcome == SuggestionOutcome.CORRECTED


def test_retraining_needs_enough_resolved_tickets_and_stores_its_accuracy(categories, alice, settings):
    settings.FIRSTLINE_TRIAGE_MIN_TRAINING = 30
    assert "at least 30" in retrain_triage_classifier()
    assert not ClassifierModel.objects.exists()
    for n, row in enumerate(dataset()[:140]):
        TicketFactory(
            requester=alice,
            subject=row["subject"],
            description=row["body"],
            category=categories[row["category"]],
            priority=row["priority"] if n % 2 else Priority.MEDIUM,
            resolved=True,
        )
    first = retrain_triage_classifier()
    second = retrain_triage_classifier()
    assert ClassifierModel.objects.filter(is_active=True).count() == 1
    assert ClassifierModel.objects.get(is_active=True).pk == second != first
    stored = ClassifierModel.objects.get(pk=second)
    assert stored.trained_on + stored.tested_on == 140 and stored.category_accuracy >= 0.7


@pytest.fixture
def admin_client(client):
    client.force_login(AgentFactory(role="admin", is_staff=True, is_superuser=True))
    return client


def test_admin_lists_accuracy_and_retrains_now(admin_client, categories, alice):
    for row in dataset()[:70]:
        TicketFactory(
            requester=alice,
            subject=row["subject"],
            description=row["body"],
            category=categories[row["category"]],
            resolved=True,
        )
    url = reverse("admin:helpdesk_classifiermodel_changelist")
    response = admin_client.post(url, {"action": "retrain_now", "index": 0}, follow=True)
    assert "A new classifier is in use" in response.content.decode()
    page = admin_client.get(url).content.decode()
    assert "%" in page and ClassifierModel.objects.filter(is_active=True).exists()


def test_ticket_page_with_a_suggestion_keeps_its_query_budget(
    model, alice, client, settings, django_assert_max_num_queries
):
    from .test_agent_views import DETAIL_QUERIES

    settings.FIRSTLINE_TRIAGE_CONFIDENCE = 1.01
    client.force_login(AgentFactory())
    few = services.create_ticket(alice, requester=alice, subject="Cannot sign in", description="Wrong password.")
    many = services.create_ticket(
        alice,
        requester=alice,
        subject="Payment failed AGAIN!!!",
        description="Third time. Unacceptable. Our account may be hacked. Se ha caído todo.",
    )
    counts = []
    for ticket in (few, many):
        with django_assert_max_num_queries(DETAIL_QUERIES + 1) as captured:  # + the categories to correct to
            page = client.get(reverse("helpdesk:ticket-detail", args=[ticket.ref])).content.decode()
        assert "Why this ticket is here" in page and "Suggested category" in page
        counts.append(len(captured))
    assert counts[0] == counts[1]
