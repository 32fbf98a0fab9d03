"""The article workflow and the functions the helpdesk will call."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from knowledge import services
from knowledge.diff import diff_versions
from knowledge.models import Article, ArticleFeedback, ArticleSearchIndex, ArticleVersion, Deflection, Status

from .factories import ArticleFactory


def write_draft(author, category, **fields):
    article = Article(
        category=category,
        title_en=fields.get("title", "Printer offline"),
        summary_en="Turn it off and on.",
        body_en=fields.get("body", "Hold the power button."),
    )
    return services.save_article(author, article)


def test_draft_goes_through_review_to_publication_with_a_version(agent, manager, public_category):
    article = write_draft(agent, public_category)
    assert (article.status, article.author, article.slug) == (Status.DRAFT, agent, "printer-offline")
    assert not ArticleSearchIndex.objects.filter(article=article).exists()

    services.submit_for_review(agent, article)
    published = services.publish_article(manager, article)

    assert published.status == Status.PUBLISHED and published.approver == manager
    assert published.review_due == timezone.localdate() + timedelta(days=public_category.review_every_days)
    version = ArticleVersion.objects.get(article=article)
    assert (version.number, version.created_by, version.content["title"]) == (1, manager, {"en": "Printer offline"})
    assert ArticleSearchIndex.objects.filter(article=article, language="en").exists()


def test_author_cannot_approve_their_own_article(manager, public_category):
    article = write_draft(manager, public_category)
    services.submit_for_review(manager, article)
    with pytest.raises(services.NotAllowed, match="other than the author"):
        services.publish_article(manager, article)
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


def test_agents_may_draft_but_not_publish(agent, other_agent, public_category):
    article = write_draft(agent, public_category)
    services.submit_for_review(agent, article)
    with pytest.raises(services.NotAllowed, match="may not approve"):
        services.publish_article(other_agent, article)


def test_customers_may_not_write(customer, public_category):
    with pytest.raises(services.NotAllowed):
        write_draft(customer, public_category)


@pytest.mark.parametrize(
    ("trait", "action", "message"),
    [
        ("draft", services.publish_article, "Only an article in review"),
        ("published", services.submit_for_review, "Only a draft"),
        ("archived", services.archive_article, "already archived"),
        ("draft", services.restore_article, "Only an archived"),
        ("draft", services.mark_reviewed, "Only a published"),
    ],
)
def test_invalid_transitions_are_refused_with_a_message(manager, public_category, trait, action, message):
    article = ArticleFactory(category=public_category, **({} if trait == "published" else {trait: True}))
    before = article.status
    with pytest.raises(services.NotAllowed, match=message):
        action(manager, article)
    assert Article.objects.get(pk=article.pk).status == before


def test_submitting_needs_the_english_summary_and_body(agent, public_category):
    article = services.save_article(agent, Article(category=public_category, title_en="Only a title"))
    with pytest.raises(services.NotAllowed, match="summary, body"):
        services.submit_for_review(agent, article)


def test_every_published_change_is_a_version_and_the_diff_shows_it_escaped(agent, manager, public_category):
    article = write_draft(agent, public_category, body="Press <b>power</b>.")
    services.submit_for_review(agent, article)
    services.publish_article(manager, article)
    article = Article.objects.get(pk=article.pk)
    article.body_en = "Press <script>power</script> twice."
    article.title_es = "Impresora desconectada"
    article.body_es = "Pulsa el botón."
    services.save_article(manager, article)

    old, new = ArticleVersion.objects.filter(article=article).order_by("number")
    assert new.number == 2 and new.content["title"]["es"] == "Impresora desconectada"
    with translation.override("en"):  # labels are translated; another test may leave a language active
        changes = {change["label"]: str(change["html"]) for change in diff_versions(old, new)}
    assert set(changes) == {"Body · English", "Title · Spanish", "Body · Spanish"}
    assert '<del class="diff-del">- Press &lt;b&gt;power&lt;/b&gt;.</del>' in changes["Body · English"]
    assert "&lt;script&gt;power&lt;/script&gt; twice." in changes["Body · English"]
    assert "<script>" not in changes["Body · English"]
    # The Spanish text is searchable at once.
    assert ArticleSearchIndex.objects.filter(article=article, language="es").exists()


def test_only_an_approver_changes_a_published_article(agent, public_article):
    public_article.body_en = "Sneaky change"
    with pytest.raises(services.NotAllowed, match="only an editor who may publish"):
        services.save_article(agent, public_article)
    assert Article.objects.get(pk=public_article.pk).body_en == "Some helpful text."


def test_archiving_removes_the_article_from_search_and_restoring_makes_a_draft(manager, public_article):
    services.archive_article(manager, public_article)
    assert not ArticleSearchIndex.objects.filter(article=public_article).exists()
    restored = services.restore_article(manager, public_article)
    assert restored.status == Status.DRAFT


def test_needs_review_lists_published_articles_past_their_review_date(agent, public_category):
    today = timezone.localdate()
    due = ArticleFactory(category=public_category, review_due=today - timedelta(days=1))
    ArticleFactory(category=public_category, review_due=today + timedelta(days=5))
    ArticleFactory(category=public_category, review_due=today - timedelta(days=9), draft=True)
    assert list(Article.objects.needing_review()) == [due]

    services.mark_reviewed(agent, due)
    due.refresh_from_db()
    assert due.reviewer == agent and due.review_due == today + timedelta(days=public_category.review_every_days)
    assert not Article.objects.needing_review().exists()


def test_feedback_is_one_per_reader(customer, public_article):
    _first, created = services.record_feedback(customer, public_article, helpful=True)
    _again, created_again = services.record_feedback(customer, public_article, helpful=False, comment="Changed mind")
    _anon, created_anon = services.record_feedback(None, public_article, helpful=False, session_key="abc")
    _anon_again, created_anon_again = services.record_feedback(None, public_article, helpful=False, session_key="abc")
    assert (created, created_again, created_anon, created_anon_again) == (True, False, True, False)
    public_article.refresh_from_db()
    assert (public_article.helpful_count, public_article.unhelpful_count) == (1, 1)
    assert ArticleFeedback.objects.count() == 2


def test_capture_from_ticket_makes_an_article_waiting_for_review(agent):
    article = services.capture_from_ticket(
        agent,
        title="Exports hang on large files",
        summary="Split the export by month.",
        body="Exports over 1 GB time out; export a month at a time.",
        source_reference="FL-00042",
    )
    assert (article.status, article.author, article.source_reference) == (Status.IN_REVIEW, agent, "FL-00042")
    assert article.category is None


def test_an_uncategorised_capture_must_get_a_category_before_publishing(agent, manager, public_category):
    article = services.capture_from_ticket(agent, title="Fix", summary="Do it.", body="Steps.")
    with pytest.raises(services.NotAllowed, match="category"):
        services.publish_article(manager, article)
    article.category = public_category
    article.save(update_fields=["category"])
    assert services.publish_article(manager, article).status == Status.PUBLISHED


def test_record_deflection_keeps_the_article_reader_and_query(customer, public_article):
    services.record_deflection(public_article, user=customer, query="reset password")
    services.record_deflection(public_article, session_key="anon-key", query="password")
    rows = list(Deflection.objects.order_by("pk").values_list("user_id", "session_key", "query"))
    assert rows == [(customer.pk, "", "reset password"), (None, "anon-key", "password")]


def test_record_deflection_counts_a_repeat_once(customer, public_article):
    from django.utils import timezone

    first = services.record_deflection(public_article, user=customer, query="reset password")
    assert services.record_deflection(public_article, user=customer, query="reset") == first
    Deflection.objects.filter(pk=first.pk).update(created_at=timezone.now() - services.DEFLECTION_REPEAT)
    services.record_deflection(public_article, user=customer, query="reset")
    services.record_deflection(public_article, session_key="anon", query="reset")
    services.record_deflection(public_article, session_key="anon", query="reset")
    assert Deflection.objects.count() == 3
