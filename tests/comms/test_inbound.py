"""Inbound email: stored first and whole, processed once, through IMAP or the HTTP endpoint."""

import imaplib
from io import StringIO

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django_q.models import Schedule

from comms import inbound, tasks
from comms.models import InboundEmail, InboundSource, InboundStatus

from .emails import build_email

pytestmark = pytest.mark.django_db

TOKEN = "t" * 40
STRANGER = "Stranger <stranger@nowhere.example>"


def store(raw, run_on_commit, source=InboundSource.HTTP):
    with run_on_commit():
        email, created = inbound.store_inbound_email(raw, source=source)
    email.refresh_from_db()
    return email, created


# --- storage and processing ---------------------------------------------------------------


def test_email_is_stored_whole_before_processing(django_capture_on_commit_callbacks):
    raw = build_email(sender=STRANGER, message_id="<one@mail.example.com>")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email, created = inbound.store_inbound_email(raw, source=InboundSource.HTTP)
    email.refresh_from_db()
    assert created and len(callbacks) == 1  # processing waits for the commit
    assert bytes(email.raw) == raw and email.size == len(raw)
    assert (email.status, email.message_id, email.sender, email.sender_name) == (
        InboundStatus.NEW,
        "<one@mail.example.com>",
        "stranger@nowhere.example",
        "Stranger",
    )


def test_same_message_id_twice_is_stored_and_processed_once(run_on_commit):
    raw = build_email(sender=STRANGER, message_id="<twice@mail.example.com>")
    first, created = store(raw, run_on_commit)
    again, created_again = store(raw, run_on_commit)
    assert created and not created_again and first.pk == again.pk
    assert InboundEmail.objects.count() == 1


def test_processing_twice_changes_nothing_the_second_time(run_on_commit):
    email, _created = store(build_email(sender=STRANGER), run_on_commit)
    assert email.status == InboundStatus.HELD_UNKNOWN_SENDER
    assert inbound.process_inbound_email(email.pk) is None
    assert tasks.process_inbound_email(email.pk) is None


def test_malformed_email_is_kept_as_failed_with_the_reason(run_on_commit):
    raw = build_email(sender=None)
    email, _created = store(raw, run_on_commit)
    assert email.status == InboundStatus.FAILED
    assert "From" in email.error
    assert bytes(email.raw) == raw and email.processed_at


def test_failed_email_can_be_processed_again(run_on_commit):
    email, _created = store(b"Subject: no sender\r\n\r\nhello", run_on_commit)
    assert email.status == InboundStatus.FAILED
    with run_on_commit():
        assert inbound.reprocess_inbound_email(None, email) is True
    email.refresh_from_db()
    assert email.status == InboundStatus.FAILED and email.processed_at  # processed again, same verdict


def test_auto_reply_is_ignored_and_never_reprocessed(run_on_commit):
    email, _created = store(build_email(headers=[("Auto-Submitted", "auto-replied")]), run_on_commit)
    assert email.status == InboundStatus.IGNORED_AUTO_REPLY
    assert "auto-replied" in email.error
    assert inbound.reprocess_inbound_email(None, email) is False


def test_mail_from_our_own_address_is_ignored(run_on_commit):
    email, _created = store(build_email(sender="Firstline Support <support@localhost>"), run_on_commit)
    assert email.status == InboundStatus.IGNORED_AUTO_REPLY


def test_sweep_processes_emails_a_lost_task_left_new(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the wake-up is lost
        email, _created = inbound.store_inbound_email(build_email(sender=STRANGER), source=InboundSource.IMAP)
    assert tasks.process_pending_inbound() == 1
    assert tasks.process_pending_inbound() == 0
    email.refresh_from_db()
    assert email.status == InboundStatus.HELD_UNKNOWN_SENDER


def test_storing_refuses_empty_and_oversized_email(settings):
    settings.FIRSTLINE_INBOUND_MAX_BYTES = 100
    with pytest.raises(inbound.EmptyEmail):
        inbound.store_inbound_email(b"  \r\n", source=InboundSource.HTTP)
    with pytest.raises(inbound.EmailTooLarge):
        inbound.store_inbound_email(b"x" * 101, source=InboundSource.HTTP)
    assert not InboundEmail.objects.exists()


# --- the HTTP endpoint ----------------------------------------------------------------------


@pytest.fixture
def token(settings):
    settings.INBOUND_EMAIL_TOKEN = TOKEN
    return TOKEN


def post(client, raw, token=None, **extra):
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post("/inbound/email/", data=raw, content_type="message/rfc822", **extra)


def test_endpoint_is_off_without_a_token(client, settings):
    settings.INBOUND_EMAIL_TOKEN = ""
    assert post(client, build_email(), token="anything").status_code == 404
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize("given", [None, "wrong-token", TOKEN[:-1]], ids=["none", "wrong", "prefix"])
def test_endpoint_refuses_a_missing_or_wrong_token(client, token, given):
    response = post(client, build_email(), token=given)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not InboundEmail.objects.exists()


def test_endpoint_stores_the_email_and_answers_at_once(client, token, run_on_commit):
    raw = build_email(sender=STRANGER)
    with run_on_commit():
        response = post(client, raw, token=token)
    assert response.status_code == 202
    body = response.json()
    email = InboundEmail.objects.get()
    assert body == {"id": email.pk, "status": "new"}
    assert email.source == InboundSource.HTTP and bytes(email.raw) == raw
    assert email.status == InboundStatus.HELD_UNKNOWN_SENDER  # processed after the answer


def test_endpoint_accepts_a_body_bigger_than_django_upload_limit(client, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = build_email(sender=STRANGER, attachments=[("big.pdf", "application/pdf", b"x" * 5000)])
    assert post(client, raw, token=token).status_code == 202


def test_endpoint_refuses_an_email_over_the_limit(client, token, settings):
    settings.FIRSTLINE_INBOUND_MAX_BYTES = 500
    response = post(client, build_email(body="x" * 1000), token=token)
    assert response.status_code == 413
    assert "limit" in response.json()["error"]
    assert not InboundEmail.objects.exists()


def test_endpoint_refuses_an_empty_body(client, token):
    assert post(client, b"", token=token).status_code == 400


def test_endpoint_accepts_only_post(client, token):
    response = client.get("/inbound/email/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


# --- IMAP -------------------------------------------------------------------------------------


class FakeMailbox:
    """An imaplib.IMAP4-compatible server in memory: the outside world, with its failures."""

    def __init__(self, messages, broken=()):
        self.messages = dict(messages)  # uid -> raw bytes
        self.broken = set(broken)  # uids whose FETCH the server refuses
        self.seen = set()
        self.logged_out = False

    def __call__(self, host, port, timeout=None):
        self.address = (host, port)
        return self

    def login(self, user, password):
        return "OK", [b"LOGIN completed"]

    def select(self, folder):
        self.folder = folder
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        if command == "SEARCH":
            unseen = [uid for uid in self.messages if uid not in self.seen]
            return "OK", [" ".join(unseen).encode()]
        if command == "FETCH":
            uid, spec = args
            if uid in self.broken:
                return "NO", [b"FETCH failed"]
            raw = self.messages[uid]
            if spec == "(RFC822.SIZE)":
                return "OK", [f"1 (UID {uid} RFC822.SIZE {len(raw)})".encode()]
            if spec == "(BODY.PEEK[HEADER])":
                header = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                return "OK", [(f"1 (UID {uid} BODY[HEADER] {{{len(header)}}}".encode(), header), b")"]
            assert spec == "(BODY.PEEK[])"  # never a plain BODY[], which would flag it seen
            return "OK", [(f"1 (UID {uid} BODY[] {{{len(raw)}}}".encode(), raw), b")"]
        if command == "STORE":
            uid, operation, flags = args
            assert (operation, flags) == ("+FLAGS", "(\\Seen)")
            self.seen.add(uid)
            return "OK", [b"STORE completed"]
        raise imaplib.IMAP4.error(f"unexpected command {command}")

    def logout(self):
        self.logged_out = True
        return "BYE", [b""]


@pytest.fixture
def mailbox(settings, monkeypatch):
    settings.IMAP_HOST = "imap.example.com"
    settings.IMAP_SSL = True
    box = FakeMailbox(
        {
            "11": build_email(sender=STRANGER, subject="first", message_id="<first@mail.example.com>"),
            "12": build_email(sender=STRANGER, subject="refused by the server"),
            "13": build_email(sender=None, subject="no sender"),
            "14": build_email(sender=STRANGER, subject="last", message_id="<last@mail.example.com>"),
        },
        broken={"12"},
    )
    monkeypatch.setattr("comms.imap.imaplib.IMAP4_SSL", box)
    return box


def test_fetch_mail_stores_each_message_and_marks_it_seen(mailbox, run_on_commit):
    out = StringIO()
    with run_on_commit():
        call_command("fetch_mail", stdout=out, stderr=StringIO())
    assert "stored 3" in out.getvalue()
    stored = {e.subject: e for e in InboundEmail.objects.all()}
    assert set(stored) == {"first", "no sender", "last"}
    assert all(e.source == InboundSource.IMAP for e in stored.values())
    assert stored["first"].status == InboundStatus.HELD_UNKNOWN_SENDER
    assert stored["no sender"].status == InboundStatus.FAILED  # a bad message is kept and does not stop the batch
    assert mailbox.seen == {"11", "13", "14"} and mailbox.logged_out


def test_fetch_mail_leaves_unseen_a_message_it_could_not_store(mailbox, run_on_commit):
    with run_on_commit():
        call_command("fetch_mail", stdout=StringIO(), stderr=StringIO())
    assert "12" not in mailbox.seen
    mailbox.broken.clear()  # the server recovers: the next run picks it up
    with run_on_commit():
        tasks.fetch_mail()
    assert "12" in mailbox.seen
    assert InboundEmail.objects.filter(subject="refused by the server").exists()
    assert InboundEmail.objects.count() == 4


def test_fetch_mail_twice_stores_a_message_once(mailbox, run_on_commit):
    with run_on_commit():
        tasks.fetch_mail()
    mailbox.seen.clear()  # another client marked everything unread
    with run_on_commit():
        report = tasks.fetch_mail()
    assert (report["stored"], report["duplicates"]) == (0, 3)
    assert InboundEmail.objects.count() == 3
    assert mailbox.seen == {"11", "13", "14"}


def test_fetch_mail_keeps_the_headers_of_an_oversized_message(mailbox, settings, run_on_commit):
    settings.FIRSTLINE_INBOUND_MAX_BYTES = 300
    mailbox.messages = {"21": build_email(sender=STRANGER, subject="huge", body="x" * 1000)}
    with run_on_commit():
        tasks.fetch_mail()
    email = InboundEmail.objects.get()
    assert (email.subject, email.status, email.sender) == ("huge", InboundStatus.FAILED, "stranger@nowhere.example")
    assert "limit" in email.error and email.size > 1000
    assert mailbox.seen == {"21"}
    assert inbound.reprocess_inbound_email(None, email) is False


def test_fetch_mail_without_a_host_is_refused(settings):
    from django.core.management.base import CommandError

    settings.IMAP_HOST = ""
    with pytest.raises(CommandError, match="IMAP_HOST"):
        call_command("fetch_mail", stdout=StringIO())


def test_imap_schedule_exists_only_while_a_host_is_set(settings):
    settings.IMAP_HOST = "imap.example.com"
    call_command("setup_schedules", stdout=StringIO())
    assert Schedule.objects.filter(name="comms.fetch_mail", func="comms.tasks.fetch_mail", minutes=1).exists()
    assert Schedule.objects.filter(name="comms.process_inbound").exists()
    settings.IMAP_HOST = ""
    call_command("setup_schedules", stdout=StringIO())
    assert not Schedule.objects.filter(name="comms.fetch_mail").exists()


# --- admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw", role="admin")
    client.force_login(admin)
    return client


def test_admin_lists_filters_and_processes_again(admin_client, run_on_commit, django_assert_max_num_queries):
    for n in range(15):
        store(build_email(sender=STRANGER, subject=f"mail {n}"), run_on_commit)
    store(b"Subject: broken\r\n\r\nno sender", run_on_commit)
    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/comms/inboundemail/")
    assert response.status_code == 200 and b"mail 14" in response.content
    failed = admin_client.get("/admin/comms/inboundemail/", {"status__exact": "failed"})
    assert b"broken" in failed.content and b"mail 14" not in failed.content
    email = InboundEmail.objects.get(subject="broken")
    detail = admin_client.get(f"/admin/comms/inboundemail/{email.pk}/change/")
    assert b"no sender" in detail.content
    with run_on_commit():
        response = admin_client.post(
            "/admin/comms/inboundemail/", {"action": "process_again", "_selected_action": [email.pk]}
        )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == InboundStatus.FAILED and email.processed_at


def test_admin_shows_a_hostile_raw_message_as_text(admin_client, run_on_commit):
    email, _created = store(build_email(sender=STRANGER, body="<script>alert(1)</script>"), run_on_commit)
    content = admin_client.get(f"/admin/comms/inboundemail/{email.pk}/change/").content
    assert b"<script>alert(1)</script>" not in content and b"&lt;script&gt;" in content


def test_inbound_emails_cannot_be_added_or_deleted_in_admin():
    model_admin = site._registry[InboundEmail]
    assert not model_admin.has_add_permission(None)
    assert not model_admin.has_delete_permission(None)
