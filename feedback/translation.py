"""Fields translated by django-modeltranslation: theme names and keywords, checklist wording."""

from modeltranslation.translator import TranslationOptions, register

from .models import FeedbackTheme, ReviewCriterion


@register(FeedbackTheme)
class FeedbackThemeTranslation(TranslationOptions):
    fields = ("name", "keywords")
    required_languages = ("en",)


@register(ReviewCriterion)
class ReviewCriterionTranslation(TranslationOptions):
    fields = ("name", "help_text")
    required_languages = ("en",)
