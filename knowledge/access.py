"""Who may read what, and the access functions views get protected objects through.

Knowledge imports no other app, so a reader is judged only by what any user
object offers: whether it is signed in, its permissions, and a plain
`is_agent` attribute when the user model has one. Anything a reader may not
read is a 404, exactly like something that does not exist.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import PUBLIC_AUDIENCES, STAFF_AUDIENCES, Article, Category

EDIT_PERMISSION = "knowledge.change_article"
PUBLISH_PERMISSION = "knowledge.publish_article"
INTERNAL_PERMISSION = "knowledge.view_internal_article"


def is_staff_reader(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_agent", False) or user.is_superuser:
        return True
    return user.has_perm(INTERNAL_PERMISSION)


def audiences_for(user):
    """The audiences whose articles `user` may read: staff read all, everyone else the public ones."""
    return STAFF_AUDIENCES if is_staff_reader(user) else PUBLIC_AUDIENCES


def can_edit(user):
    return user.is_authenticated and user.has_perm(EDIT_PERMISSION)


def can_publish(user):
    return user.is_authenticated and user.has_perm(PUBLISH_PERMISSION)


def editor_required(view):
    """Signed-in users who may write articles; everyone else gets 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_edit(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def get_category_for_reader(user, slug):
    return get_object_or_404(Category.objects.visible_to(audiences_for(user)), slug=slug)


def get_article_for_reader(user, slug):
    return get_object_or_404(Article.objects.visible_to(audiences_for(user)).with_category(), slug=slug)


def get_article_for_editor(user, pk):
    if not can_edit(user):
        raise Http404
    return get_object_or_404(Article.objects.with_people(), pk=pk)
