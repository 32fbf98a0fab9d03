"""Fields translated by django-modeltranslation: one column per language, tabs in admin."""

from modeltranslation.translator import TranslationOptions, register

from .models import MessageTemplate


@register(MessageTemplate)
class MessageTemplateTranslation(TranslationOptions):
    fields = ("subject", "body", "short_text")
    required_languages = ("en",)
