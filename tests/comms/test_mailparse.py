"""Reading received emails: headers as plain single lines, the new text without the history, machines spotted."""

import pytest

from comms.mailparse import MalformedEmail, html_to_text, parse_email, read_envelope, trim_history

from .emails import build_email

QUOTED = "\n> Please restart the printer.\n> Firstline Support\n"

HISTORY_STYLES = {
    "gmail": "On Mon, 3 Mar 2025 at 10:02, Firstline Support <support@localhost> wrote:" + QUOTED,
    "gmail wrapped": "On Mon, Mar 3, 2025 at 10:02 AM Firstline Support <\nsupport@localhost> wrote:\n" + QUOTED,
    "apple mail": "On 3 Mar 2025, at 10:02, Firstline Support <support@localhost> wrote:\n" + QUOTED,
    "outlook original message": (
        "-----Original Message-----\nFrom: Firstline Support <support@localhost>\n"
        "Sent: Monday, March 3, 2025 10:02 AM\nTo: Alice\nSubject: RE: Printer\n\nPlease restart the printer.\n"
    ),
    "outlook from sent block": (
        "________________________________\nFrom: Firstline Support <support@localhost>\n"
        "Sent: Monday, March 3, 2025 10:02\nTo: Alice\nSubject: Printer\n\nPlease restart the printer.\n"
    ),
    "outlook bold headers": "*From:* Firstline Support\n*Sent:* Monday\n*To:* Alice\n\nPlease restart the printer.\n",
    "german": "Am 03.03.2025 um 10:02 schrieb Firstline Support <support@localhost>:" + QUOTED,
    "german name first": "Firstline Support <support@localhost> schrieb am Mo., 3. März 2025, 10:02:" + QUOTED,
    "german outlook": (
        "-----Ursprüngliche Nachricht-----\nVon: Firstline Support\nGesendet: Montag, 3. März 2025 10:02\n"
        "An: Alice\n\nBitte starten Sie den Drucker neu.\n"
    ),
    "spanish": "El lun, 3 mar 2025 a las 10:02, Firstline Support (<support@localhost>) escribió:" + QUOTED,
    "spanish outlook": "De: Firstline Support\nEnviado el: lunes, 3 de marzo de 2025 10:02\nPara: Alice\n\nHola\n",
    "french": "Le lun. 3 mars 2025 à 10:02, Firstline Support <support@localhost> a écrit :" + QUOTED,
    "french outlook": "De : Firstline Support\nEnvoyé : lundi 3 mars 2025 10:02\nÀ : Alice\n\nBonjour\n",
    "portuguese": "Em seg., 3 de mar. de 2025 às 10:02, Firstline Support <support@localhost> escreveu:" + QUOTED,
    "signature": "-- \nAlice Person\nAcme Corp, floor 3\n",
    "quote only": QUOTED,
}


@pytest.mark.parametrize("style", list(HISTORY_STYLES))
def test_quoted_history_is_trimmed(style):
    text = "Still broken after the restart.\nThe light is red.\n\n" + HISTORY_STYLES[style]
    assert trim_history(text) == "Still broken after the restart.\nThe light is red."


def test_inline_answers_between_quotes_are_kept():
    text = "> Did you restart it?\nYes, twice.\n> Which model?\nLaserJet 4."
    assert trim_history(text) == "Yes, twice.\nLaserJet 4."


def test_a_mail_that_is_all_quote_keeps_its_whole_text():
    text = "> Please restart the printer."
    assert trim_history(text) == text


def test_a_sentence_mentioning_what_someone_wrote_is_not_history():
    text = "My colleague wrote:\nthe printer hums.\nThanks"
    assert trim_history(text) == text


def test_plain_text_is_preferred_and_the_full_original_is_kept():
    raw = build_email(body="New text\n\n" + HISTORY_STYLES["gmail"], html="<p>HTML version</p>")
    parsed = parse_email(raw)
    assert parsed.text == "New text"
    assert "Please restart the printer." in parsed.full_text
    assert parsed.attachments == []


def test_html_only_email_becomes_plain_text_without_script():
    html = (
        "<html><head><title>x</title><style>p{color:red}</style></head><body>"
        "<p>Hello &amp; thanks,</p><script>alert('pwned')</script><div>the <b>export</b> fails"
        "<img src=x onerror=alert(1)></div><p>See <a href='https://example.com/log'>the log</a></p>"
        "<p>&lt;script&gt;alert(2)&lt;/script&gt;</p></body></html>"
    )
    parsed = parse_email(build_email(body=None, html=html))
    assert [line for line in parsed.text.splitlines() if line] == [
        "Hello & thanks,",
        "the export fails",
        "See the log (https://example.com/log)",
        "<script>alert(2)</script>",
    ]
    assert "pwned" not in parsed.text and "onerror" not in parsed.text and "color" not in parsed.text


def test_html_gmail_quote_is_trimmed_after_conversion():
    html = (
        '<div dir="ltr">Thanks, fixed.</div><br><div class="gmail_quote"><div class="gmail_attr">'
        "On Mon, 3 Mar 2025 at 10:02, Support &lt;support@localhost&gt; wrote:<br></div>"
        "<blockquote>Please restart the printer.</blockquote></div>"
    )
    assert html_to_text(html).startswith("Thanks, fixed.")
    assert parse_email(build_email(body=None, html=html)).text == "Thanks, fixed."


def test_attachments_are_read_with_names_and_types():
    raw = build_email(attachments=[("report.pdf", "application/pdf", b"%PDF-1.4"), ("notes.txt", "text/plain", b"hi")])
    parsed = parse_email(raw)
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("report.pdf", "application/pdf", b"%PDF-1.4"),
        ("notes.txt", "text/plain", b"hi"),
    ]
    assert parsed.text == "It started this morning."


def test_header_injection_in_subject_and_name_stays_on_one_line():
    raw = (
        b"From: =?utf-8?q?Alice=0D=0ABcc:_evil@example.com?= <alice@example.com>\r\n"
        b"Subject: =?utf-8?q?Hello=0D=0ABcc:_evil@example.com?=\r\n"
        b"Message-ID: <injected@mail.example.com>\r\n\r\nBody\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.sender == "alice@example.com"
    assert parsed.sender_name == "Alice Bcc: evil@example.com"
    assert parsed.subject == "Hello Bcc: evil@example.com"
    envelope = read_envelope(raw)
    assert (envelope.sender, envelope.subject, envelope.message_id) == (
        "alice@example.com",
        "Hello Bcc: evil@example.com",
        "<injected@mail.example.com>",
    )


def test_raw_eight_bit_headers_are_read_as_utf8():
    raw = 'From: "Björn" <bjorn@example.de>\r\nSubject: Café\r\n\r\nHallo\r\n'.encode()
    parsed = parse_email(raw)
    assert (parsed.sender_name, parsed.subject) == ("Björn", "Café")


def test_replied_ids_list_in_reply_to_first_then_newest_reference():
    raw = build_email(headers=[("In-Reply-To", "<c@x>"), ("References", "<a@x> <b@x> <c@x>")])
    assert parse_email(raw).replied_ids == ["<c@x>", "<b@x>", "<a@x>"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"\x00\xff not an email at all", "no headers"),
        (build_email(sender=None), "From"),
        (b"From: alice@example.com\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla", "character set"),
    ],
    ids=["empty", "garbage", "no from", "unknown charset"],
)
def test_malformed_emails_raise_with_the_reason(raw, reason):
    with pytest.raises(MalformedEmail, match=reason):
        parse_email(raw)


MACHINE_HEADERS = [
    ("Auto-Submitted", "auto-replied"),
    ("Auto-Submitted", "auto-generated"),
    ("Precedence", "bulk"),
    ("Precedence", "junk"),
    ("Precedence", "list"),
    ("X-Autoreply", "yes"),
    ("X-Autorespond", "Out of office"),
    ("List-Id", "<news.example.com>"),
    ("List-Unsubscribe", "<mailto:leave@example.com>"),
    ("Return-Path", "<>"),
]


@pytest.mark.parametrize(("name", "value"), MACHINE_HEADERS, ids=[f"{n}: {v}" for n, v in MACHINE_HEADERS])
def test_auto_replies_are_recognised_by_header(name, value):
    assert parse_email(build_email(headers=[(name, value)])).auto_reply


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_bounces_are_recognised_by_sender(sender):
    assert parse_email(build_email(sender=sender)).auto_reply


def test_delivery_status_notification_is_recognised():
    raw = (
        b"From: Mail Delivery System <bounces@mx.example.com>\r\nSubject: Undelivered\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b--\r\n"
    )
    assert "multipart/report" in parse_email(raw).auto_reply


def test_a_person_writing_is_not_an_auto_reply():
    assert parse_email(build_email(headers=[("Auto-Submitted", "no")])).auto_reply == ""
