from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Article, Audience, Category, Status

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _suffix(code):
    return code.replace("-", "_")


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the knowledge base"), max_length=200, required=False, strip=True)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes", empty_value=None
    )
    comment = forms.CharField(
        label=_("Anything we should add or fix? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ArticleForm(forms.ModelForm):
    """An article with all its translations; the template shows one panel per language."""

    related_slugs = forms.CharField(
        label=_("Related articles"),
        required=False,
        help_text=_("Slugs of published articles, separated by commas."),
    )

    class Meta:
        model = Article
        fields = [
            "category",
            "slug",
            "tags",
            *[f"{name}_{_suffix(code)}" for code, _n in settings.LANGUAGES for name in ("title", "summary", "body")],
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Leave empty to make one from the English title.")
        self.fields["category"].queryset = Category.objects.order_by("position", "name")
        for code, name in settings.LANGUAGES:
            suffix = _suffix(code)
            for field, label in (("title", _("Title")), ("summary", _("Summary")), ("body", _("Body"))):
                self.fields[f"{field}_{suffix}"].label = f"{label} ({name})"
            self.fields[f"summary_{suffix}"].widget = forms.Textarea(attrs={"rows": 2, "maxlength": 300})
            self.fields[f"body_{suffix}"].widget = forms.Textarea(attrs={"rows": 12})
            self.fields[f"body_{suffix}"].help_text = _("Markdown. Images must use https or a relative link.")
        if self.instance.pk and not self.is_bound:
            self.initial["related_slugs"] = ", ".join(self.instance.related.values_list("slug", flat=True))

    def language_panels(self):
        """(code, name, bound fields, whether it has a title) per language, English first."""
        panels = []
        for code, name in settings.LANGUAGES:
            suffix = _suffix(code)
            fields = [self[f"{field}_{suffix}"] for field in ("title", "summary", "body")]
            filled = bool(fields[0].value())
            has_errors = any(f.errors for f in fields)
            panels.append({"code": code, "name": name, "fields": fields, "filled": filled, "errors": has_errors})
        return panels

    def clean_related_slugs(self):
        slugs = [s.strip() for s in self.cleaned_data["related_slugs"].split(",") if s.strip()]
        found = list(Article.objects.filter(slug__in=slugs).exclude(pk=self.instance.pk))
        missing = sorted(set(slugs) - {a.slug for a in found})
        if missing:
            raise forms.ValidationError(
                _("No article has the slug %(slugs)s.") % {"slugs": ", ".join(missing)}, code="unknown_related"
            )
        return found

    def clean(self):
        cleaned = super().clean()
        for code, _name in settings.LANGUAGES:
            suffix = _suffix(code)
            title = cleaned.get(f"title_{suffix}")
            body = cleaned.get(f"body_{suffix}")
            if code != settings.MODELTRANSLATION_DEFAULT_LANGUAGE and bool(title) != bool(body):
                self.add_error(
                    f"title_{suffix}" if not title else f"body_{suffix}",
                    forms.ValidationError(
                        _("A translation needs both a title and a body (or neither)."), code="half_translation"
                    ),
                )
        return cleaned


class ArticleFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any status")), *Status.choices], required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, empty_label=_("Any category")
    )
    audience = forms.ChoiceField(
        label=_("Audience"), choices=[("", _("Any audience")), *Audience.choices], required=False
    )
    q = forms.CharField(label=_("Title contains"), max_length=100, required=False)


class VersionDiffForm(forms.Form):
    old = forms.IntegerField(label=_("From version"), min_value=1)
    new = forms.IntegerField(label=_("To version"), min_value=1)
