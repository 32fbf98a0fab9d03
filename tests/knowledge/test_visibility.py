"""Who sees what: anonymous visitors, customers, agents and editors × audience × status.

Anything a reader may not see is a 404 and leaves no trace: not in lists,
counts, search results, related articles or suggestions.
"""

import pytest

from knowledge.models import Audience, Status
from knowledge.search import suggest

from .factories import ArticleFactory, CategoryFactory

VISITORS = ["anonymous", "customer", "agent", "manager"]
STAFF = {"agent", "manager"}


def visible(visitor, audience, status):
    return status == Status.PUBLISHED and (audience == Audience.CUSTOMERS or visitor in STAFF)


@pytest.fixture
def people(customer, agent, manager):
    return {"anonymous": None, "customer": customer, "agent": agent, "manager": manager}


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("audience", Audience.values)
@pytest.mark.parametrize("visitor", VISITORS)
def test_article_visibility_matrix(client, people, visitor, audience, status):
    category = CategoryFactory(slug="topic", name_en="Zebra topic", audience=audience)
    article = ArticleFactory(category=category, slug="the-article", title_en="Quokka handling guide", status=status)
    if people[visitor]:
        client.force_login(people[visitor])
    expected = visible(visitor, audience, status)

    page = client.get(f"/kb/articles/{article.slug}/")
    assert page.status_code == (200 if expected else 404)

    search = client.get("/kb/search/", {"q": "quokka"})
    assert search.status_code == 200
    assert ('href="/kb/articles/the-article/"' in search.content.decode()) is expected

    home = client.get("/kb/").content.decode()
    assert ("Quokka handling guide" in home) is expected
    # A category with nothing the reader may read is not listed (nor counted).
    assert ("Zebra topic" in home) is expected

    category_page = client.get("/kb/categories/topic/")
    staff_category = audience == Audience.CUSTOMERS or visitor in STAFF
    assert category_page.status_code == (200 if staff_category else 404)

    titles = [hit.article.slug for hit in suggest("quokka", language="en", user=people[visitor])]
    assert (titles == ["the-article"]) is expected


def test_a_hidden_article_and_a_missing_one_look_the_same(client, customer, internal_article):
    client.force_login(customer)
    hidden = client.get(f"/kb/articles/{internal_article.slug}/")
    missing = client.get("/kb/articles/no-such-article/")
    assert hidden.status_code == missing.status_code == 404
    assert internal_article.title_en not in hidden.content.decode()


def test_related_articles_show_only_what_the_reader_may_see(client, customer, agent, public_article, internal_article):
    draft = ArticleFactory(category=public_article.category, slug="draft-one", title_en="Unfinished draft", draft=True)
    shown = ArticleFactory(category=public_article.category, slug="shown", title_en="Two-factor sign in")
    public_article.related.add(internal_article, draft, shown)

    client.force_login(customer)
    body = client.get(public_article.get_absolute_url()).content.decode()
    assert "Two-factor sign in" in body
    assert internal_article.title_en not in body
    assert "Unfinished draft" not in body

    client.force_login(agent)
    body = client.get(public_article.get_absolute_url()).content.decode()
    assert internal_article.title_en in body
    assert "Unfinished draft" not in body


def test_category_counts_include_only_published_articles(client, public_category):
    ArticleFactory.create_batch(2, category=public_category)
    ArticleFactory(category=public_category, draft=True)
    ArticleFactory(category=public_category, archived=True)
    body = client.get("/kb/").content.decode()
    assert "2 articles" in body


def test_workspace_is_for_editors_only(client, customer, agent):
    assert client.get("/kb/manage/").status_code == 302  # to sign in
    client.force_login(customer)
    assert client.get("/kb/manage/").status_code == 404
    assert client.get("/kb/manage/articles/new/").status_code == 404
    client.force_login(agent)
    assert client.get("/kb/manage/").status_code == 200
