import factory
from django.utils import timezone

from knowledge.index import reindex_articles
from knowledge.models import Article, Audience, Category, Status


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name_en = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    audience = Audience.CUSTOMERS

    class Params:
        agents = factory.Trait(audience=Audience.AGENTS)
        developers = factory.Trait(audience=Audience.DEVELOPERS)


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article, indexed for search (traits for the other states)."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)
    title_en = factory.Sequence(lambda n: f"Article number {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    summary_en = "A one-sentence answer."
    body_en = "Some helpful text."
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(status=Status.DRAFT, published_at=None)
        in_review = factory.Trait(status=Status.IN_REVIEW, published_at=None)
        archived = factory.Trait(status=Status.ARCHIVED)

    @factory.post_generation
    def indexed(obj, create, extracted, **kwargs):
        if create:
            reindex_articles([obj.pk])
