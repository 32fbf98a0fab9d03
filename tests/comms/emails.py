"""Building raw emails for tests, as a mail program would send them."""

from email.message import EmailMessage
from email.utils import make_msgid


def build_email(
    *,
    sender="Alice Person <alice@example.com>",
    to="support@localhost",
    subject="The printer is on fire",
    body="It started this morning.",
    html=None,
    message_id=None,
    headers=(),
    attachments=(),
):
    """Raw bytes of an email. `html` alone (body=None) makes an HTML-only email."""
    msg = EmailMessage()
    if sender is not None:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    for name, value in headers:
        msg[name] = value
    if body is not None:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
