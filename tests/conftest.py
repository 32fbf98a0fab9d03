import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path, monkeypatch):
    """Uploaded files and emails go to a temporary folder; tasks never leave the process."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FIRSTLINE_CHANNEL_FILE_DIR = tmp_path / "outbox"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # django-q2 reads its configuration once at import: run tasks in-process.
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    # Tasks run inline: the wake-up after a macro must not sleep out its undo window in the request.
    settings.FIRSTLINE_HOLD_WAKE_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Nothing cached by one test (such as shared queue counts) reaches the next.
    from django.core.cache import cache

    cache.clear()
    # Triage reads its rules afresh for every ticket: tests add rules between tickets.
    settings.FIRSTLINE_TRIAGE_CACHE_SECONDS = -1
    from helpdesk.triage import config

    config.clear()
    yield
    # A request activates its user's language for the thread, as it should; the
    # next test must not start in that language.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on_commit callbacks (notifications) of the block it wraps."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
