"""Fields translated by django-modeltranslation: one column per language of settings.LANGUAGES."""

from modeltranslation.translator import TranslationOptions, register

from .models import Article, Category


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = {"en": ("name",)}


@register(Article)
class ArticleTranslation(TranslationOptions):
    # Only the English title is required: a draft may be written a field at a
    # time, and services check the rest before it goes to review.
    fields = ("title", "summary", "body")
    required_languages = {"en": ("title",)}
