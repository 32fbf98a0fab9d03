"""Reader pages and the editor workspace through the test client."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from knowledge.models import Article, ArticleFeedback, ArticleVersion, Status

from .factories import ArticleFactory, CategoryFactory


@pytest.fixture
def translated(public_category):
    return ArticleFactory(
        category=public_category,
        slug="reset",
        title_en="Reset your password",
        body_en="Use the **link**.",
        title_es="Restablecer la contraseña",
        summary_es="Usa el enlace.",
        body_es="Usa el **enlace**.",
    )


def test_article_is_shown_in_the_readers_language(client, customer, translated):
    customer.language = "es"
    customer.save(update_fields=["language"])
    client.force_login(customer)
    body = client.get("/kb/articles/reset/").content.decode()
    assert "Restablecer la contraseña" in body and "<strong>enlace</strong>" in body
    assert "not yet available" not in body


def test_untranslated_article_falls_back_to_english_with_a_note(client, customer, translated):
    customer.language = "fr"
    customer.save(update_fields=["language"])
    client.force_login(customer)
    body = client.get("/kb/articles/reset/").content.decode()
    assert "Reset your password" in body and "<strong>link</strong>" in body
    with translation.override("fr"):
        note = gettext("This article is not yet available in %(language)s.").split("%")[0]
    assert note in body  # the note, in the reader's own language
    assert 'lang="en"' in body


def test_viewing_an_article_counts_a_view(client, translated):
    client.get("/kb/articles/reset/")
    client.get("/kb/articles/reset/")
    translated.refresh_from_db()
    assert translated.view_count == 2


def test_feedback_with_htmx_swaps_the_fragment_and_counts_once(client, customer, translated):
    client.force_login(customer)
    url = "/kb/articles/reset/feedback/"
    first = client.post(url, {"helpful": "no", "comment": "Missing SSO"}, headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert 'id="article-feedback"' in first.content.decode() and "<html" not in first.content.decode()
    assert "articleRated" in first["HX-Trigger"]
    second = client.post(url, {"helpful": "yes"}, headers={"HX-Request": "true"})
    assert "already rated" in second.content.decode()
    translated.refresh_from_db()
    assert (translated.helpful_count, translated.unhelpful_count) == (0, 1)
    assert ArticleFeedback.objects.get().comment == "Missing SSO"


def test_anonymous_feedback_without_javascript_redirects_and_is_kept_per_session(client, translated):
    response = client.post("/kb/articles/reset/feedback/", {"helpful": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#article-feedback")
    client.post("/kb/articles/reset/feedback/", {"helpful": "yes"})
    assert ArticleFeedback.objects.count() == 1
    page = client.get("/kb/articles/reset/").content.decode()
    assert "You found this article helpful" in page


def test_feedback_on_a_hidden_article_is_a_404(client, customer, internal_article):
    client.force_login(customer)
    assert client.post(f"/kb/articles/{internal_article.slug}/feedback/", {"helpful": "yes"}).status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_search_page_without_htmx_and_fragment_with_it(client, translated):
    page = client.get("/kb/search/", {"q": "password"})
    assert "<html" in page.content.decode() and "<mark>password</mark>" in page.content.decode()
    fragment = client.get("/kb/search/", {"q": "password"}, headers={"HX-Request": "true"})
    content = fragment.content.decode()
    assert content.lstrip().startswith('<section id="search-results"') and "<html" not in content
    assert 'aria-live="polite"' in content
    assert "HX-Request" in fragment["Vary"]


def test_search_with_no_results_says_so(client, translated):
    assert "No article matches" in client.get("/kb/search/", {"q": "teleport"}).content.decode()


def add_volume(count):
    for n in range(count):
        category = CategoryFactory(slug=f"bulk-{n}", name_en=f"Bulk {n}")
        article = ArticleFactory(category=category, title_en=f"Password bulk {n}", view_count=n)
        article.related.add(Article.objects.get(slug="reset"))


@pytest.mark.parametrize("visitor", ["anonymous", "customer", "agent"])
def test_reader_pages_use_a_fixed_number_of_queries(
    client, visitor, customer, agent, translated, django_assert_max_num_queries
):
    people = {"anonymous": None, "customer": customer, "agent": agent}
    if people[visitor]:
        client.force_login(people[visitor])
    budgets = {"/kb/": 8, "/kb/articles/reset/": 10, "/kb/search/?q=password": 9, "/kb/categories/account/": 9}
    add_volume(2)
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200
    add_volume(30)
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


def test_editor_writes_a_translated_article_and_a_manager_publishes_it(client, agent, manager, public_category):
    client.force_login(agent)
    form = {
        "category": public_category.pk,
        "slug": "",
        "tags": "vpn",
        "related_slugs": "",
        "title_en": "VPN drops hourly",
        "summary_en": "Update the client.",
        "body_en": "Turn on keep-alive.",
        "title_es": "La VPN se cae",
        "summary_es": "Actualiza el cliente.",
        "body_es": "Activa keep-alive.",
    }
    response = client.post("/kb/manage/articles/new/", form)
    article = Article.objects.get(slug="vpn-drops-hourly")
    assert response.status_code == 302 and article.title_es == "La VPN se cae"
    client.post(f"/kb/manage/articles/{article.pk}/transition/", {"submit": ""})
    # The author cannot publish (and agents may not): the button refuses with a message.
    client.post(f"/kb/manage/articles/{article.pk}/transition/", {"publish": ""})
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW

    client.force_login(manager)
    response = client.post(f"/kb/manage/articles/{article.pk}/transition/", {"publish": ""}, follow=True)
    assert "Approved and published." in response.content.decode()
    assert Article.objects.get(pk=article.pk).status == Status.PUBLISHED

    form["body_en"] = "Turn on keep-alive <now>."
    client.post(f"/kb/manage/articles/{article.pk}/", form)
    history = client.get(f"/kb/manage/articles/{article.pk}/history/").content.decode()
    assert ArticleVersion.objects.filter(article=article).count() == 2
    assert "+ Turn on keep-alive &lt;now&gt;." in history


def test_half_translations_are_refused_by_the_form(client, agent, public_category):
    client.force_login(agent)
    response = client.post(
        "/kb/manage/articles/new/",
        {"category": public_category.pk, "title_en": "Title", "title_es": "Solo título"},
    )
    assert response.status_code == 200
    assert "needs both a title and a body" in response.content.decode()
    assert not Article.objects.exists()


def test_workspace_lists_filter_by_status_and_show_reviews(client, agent, public_category):
    ArticleFactory(category=public_category, title_en="Draft about printers", draft=True)
    ArticleFactory(category=public_category, title_en="Published about scanners")
    client.force_login(agent)
    body = client.get("/kb/manage/", {"status": "draft"}).content.decode()
    assert "Draft about printers" in body and "Published about scanners" not in body
    assert client.get("/kb/manage/review/").status_code == 200
