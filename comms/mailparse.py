"""Reading a received email: who sent it, what they wrote, what they attached, and whether a machine sent it.

Pure functions over bytes, with the standard library's `email` package and
`policy.default`. Nothing here touches the database. Whatever a sender puts
in a header or a body is data: header values come back as single lines of
plain text (so they can never start a header of a mail we send), and HTML
bodies come back as plain text (so they are never kept as markup).
"""

import contextlib
import html
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parseaddr

import nh3
from django.utils.translation import gettext as _


class MalformedEmail(Exception):
    """The email cannot be read well enough to act on; the message says why."""


@dataclass
class EmailAttachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self):
        return len(self.data)


@dataclass
class Envelope:
    """The few header values stored on the row as soon as an email arrives."""

    message_id: str = ""
    sender: str = ""
    sender_name: str = ""
    subject: str = ""


@dataclass
class ParsedEmail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    # Message-IDs this email answers, most relevant first (In-Reply-To, then References newest first).
    replied_ids: list[str]
    # What the sender wrote, without the quoted history and signature.
    text: str
    # The whole body as text, history included.
    full_text: str
    attachments: list[EmailAttachment] = field(default_factory=list)
    # Why this looks like a machine's mail (auto-reply, bounce, list), or "".
    auto_reply: str = ""
    # The address it was delivered to (e.g. billing@…), for routing; "" when unknown.
    recipient: str = ""


# --- header values ------------------------------------------------------------------------

MSGID = re.compile(r"<[^<>\s]+>")
ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$")
MAX_HEADER_LENGTH = 255


def one_line(text, limit=None):
    """Header text as one line of printable characters: no CR, LF or other control characters."""
    if not text:
        return ""
    text = str(text)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        # Raw 8-bit bytes the parser kept as surrogates: read them as UTF-8.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = " ".join(text.split())
    return text[:limit] if limit else text


def _raw_header(msg, name):
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return value
    return ""


def _decoded_header(msg, name):
    """The header's text with encoded words decoded; never raises."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # noqa: S110 - a header the registry refuses is decoded by hand below
        pass
    raw = _raw_header(msg, name)
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw


def _message_ids(text):
    return MSGID.findall(text or "")


def _recipient(msg):
    """The address the mail was delivered to: Delivered-To or X-Original-To, else the first To; lowercased."""
    for name in ("Delivered-To", "X-Original-To"):
        _name, address = parseaddr(_raw_header(msg, name))
        if "@" in address:
            return one_line(address, 254).lower()
    with contextlib.suppress(Exception):  # a malformed To only costs the routing hint
        header = msg.get("To")
        for address in header.addresses if header is not None else ():
            if address.addr_spec and "@" in address.addr_spec:
                return one_line(address.addr_spec, 254).lower()
    return ""


def _message_id(msg):
    ids = _message_ids(_raw_header(msg, "Message-ID"))
    return ids[0][:MAX_HEADER_LENGTH] if ids else ""


def _sender(msg):
    """(address, display name) of the first author in From, or ("", "")."""
    try:
        header = msg.get("From")
        addresses = header.addresses if header is not None else ()
        for address in addresses:
            if address.addr_spec and "@" in address.addr_spec:
                return one_line(address.addr_spec, 254), one_line(address.display_name, 200)
    except Exception:  # noqa: S110 - e.g. a display name hiding a line break; read it by hand below
        pass
    raw = _raw_header(msg, "From")
    angle = ANGLE_ADDRESS.search(raw)
    if angle:
        address, name = angle.group(1), raw[: angle.start()]
    else:
        name, address = parseaddr(raw)
    with contextlib.suppress(Exception):  # the name is only decoration; keep it as written
        name = str(make_header(decode_header(name.strip().strip('"'))))
    address = one_line(address, 254)
    if "@" not in address or " " in address:
        return "", ""
    return address, one_line(name.strip().strip('"'), 200)


def read_envelope(raw):
    """Message-ID, sender and subject from the headers alone; never raises, leaves unreadable values empty."""
    try:
        msg = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    except Exception:
        return Envelope()
    address, name = _sender(msg)
    return Envelope(
        message_id=_message_id(msg),
        sender=address,
        sender_name=name,
        subject=one_line(_decoded_header(msg, "Subject"), MAX_HEADER_LENGTH),
    )


# --- machines ---------------------------------------------------------------------------

AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-Mail-Autoreply", "X-AutoReply-From")
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
LIST_HEADERS = ("List-Id", "List-Unsubscribe")
MACHINE_SENDERS = {"mailer-daemon", "postmaster"}


def auto_reply_reason(msg, sender):
    """Why `msg` was written by a machine (out-of-office, bounce, newsletter), or "".

    Such mail is stored but never answered: answering an auto-reply with an
    acknowledgement is how two robots end up writing to each other forever.
    """
    submitted = one_line(_decoded_header(msg, "Auto-Submitted")).lower()
    if submitted and submitted != "no":
        return _("Auto-Submitted: %(value)s") % {"value": submitted}
    precedence = one_line(_decoded_header(msg, "Precedence")).lower()
    if precedence in BULK_PRECEDENCE:
        return _("Precedence: %(value)s") % {"value": precedence}
    for name in AUTO_REPLY_HEADERS:
        if msg.get(name) is not None:
            return _("%(header)s header") % {"header": name}
    if msg.get_content_type() == "multipart/report":
        return _("Delivery or read report (multipart/report)")
    if sender.partition("@")[0].lower() in MACHINE_SENDERS:
        return _("Sent by %(sender)s") % {"sender": sender}
    if _raw_header(msg, "Return-Path").strip() == "<>":
        return _("Empty return path (a bounce)")
    for name in LIST_HEADERS:
        if msg.get(name) is not None:
            return _("Mailing list message (%(header)s)") % {"header": name}
    return ""


# --- bodies -------------------------------------------------------------------------------

_BLOCK_TAGS = re.compile(
    r"<\s*/?\s*(br|p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol|hr|section|article|header|footer)\b[^>]*>",
    re.IGNORECASE,
)
_LINK = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']?(https?://[^"'\s>]+)["']?[^>]*>(.*?)</a\s*>""", re.I | re.S)
_HIDDEN_CONTENT = {"script", "style", "title", "noscript", "template", "head"}


def html_to_text(markup):
    """Readable plain text from an HTML body: block elements become line breaks, links keep their address.

    nh3 does the real work of dropping every tag (and the content of script
    and style); the regular expressions only decide where lines break. The
    result is text, to be escaped wherever it is shown.
    """

    def link(match):
        href, label = match.group(1), match.group(2)
        shown = nh3.clean(label, tags=set()).strip()
        return label if not shown or href in html.unescape(shown) else f"{label} ({href})"

    markup = _LINK.sub(link, markup or "")
    markup = re.sub(r"<\s*li\b[^>]*>", "\n- ", markup, flags=re.IGNORECASE)
    markup = _BLOCK_TAGS.sub("\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set(), clean_content_tags=_HIDDEN_CONTENT))
    lines = [" ".join(line.split()) for line in text.replace("\xa0", " ").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body_part(msg):
    try:
        return msg.get_body(preferencelist=("plain", "html"))
    except Exception as exc:
        raise MalformedEmail(_("The structure of the email cannot be read: %(error)s") % {"error": exc}) from exc


def _body_text(part):
    if part is None:
        return ""
    try:
        content = part.get_content()
    except LookupError as exc:
        raise MalformedEmail(
            _("The text is in a character set that cannot be read (%(charset)s).")
            % {"charset": one_line(part.get_content_charset() or "?", 60)}
        ) from exc
    except Exception as exc:
        raise MalformedEmail(_("The text of the email cannot be decoded: %(error)s") % {"error": exc}) from exc
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").strip()


# --- quoted history ------------------------------------------------------------------------

# "On Mon, 3 Mar 2025 at 10:02, Ana <ana@example.com> wrote:" and its translations.
_WROTE_VERB = (
    r"(wrote|writes|schrieb|escribió|escribio|a écrit|a ecrit|escreveu|ha scritto|schreef|skrev|kirjoitti|"
    r"napisał|napsal|написал|написала|yazdı)"
)
_WROTE_END = re.compile(_WROTE_VERB + r"\s*:\s*$", re.IGNORECASE)
# After "On …/Am …/Le …" the verb may come before the name: "Am 03.03.2025 schrieb Ana <ana@example.com>:".
_WROTE_INSIDE = re.compile(r"\b" + _WROTE_VERB + r"\b.*:\s*$", re.IGNORECASE)
_WROTE_START = re.compile(r"^\s*(on|am|el|le|em|il|op|den|dne|w dniu|в)\b", re.IGNORECASE)
# German and Dutch clients also write "Ana <ana@example.com> schrieb am 03.03.2025 um 10:02:".
_WROTE_AT = re.compile(r"\b(schrieb am|schreef op)\b.*:\s*$", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|originalnachricht|mensaje original|"
    r"message d'origine|message original|mensagem original|messaggio originale|oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_FROM_LINE = re.compile(r"^\s*\*?(from|de|von|van|da|från|fra|od)\s*:\*?\s*\S", re.IGNORECASE)
_SENT_LINE = re.compile(
    r"^\s*\*?(sent|date|envoyé|gesendet|enviado|enviado el|datum|data|inviato|verzonden|skickat|sendt|wysłano)"
    r"\s*:",
    re.IGNORECASE,
)
_SIGNATURE = ("-- ", "--")


def _is_wrote_line(lines, index):
    line = lines[index]
    if _WROTE_AT.search(line):
        return True
    if not _WROTE_START.match(line):
        # Without "On …" only an unmistakable line counts: the verb, an address or a date.
        return bool(_WROTE_END.search(line)) and bool(re.search(r"@|\d", line))
    # Long headers are wrapped by the sender's client over two or three lines.
    for span in (1, 2, 3):
        joined = " ".join(part.strip() for part in lines[index : index + span])
        if _WROTE_END.search(joined) or _WROTE_INSIDE.search(joined):
            return True
    return False


def _is_outlook_header(lines, index):
    if not _FROM_LINE.match(lines[index]):
        return False
    return any(_SENT_LINE.match(line) for line in lines[index + 1 : index + 5])


def _history_starts(lines):
    for index, line in enumerate(lines):
        if line in _SIGNATURE or _ORIGINAL_MESSAGE.match(line):
            return index
        if _RULE.match(line) and index + 1 < len(lines) and _is_outlook_header(lines, index + 1):
            return index
        if _is_outlook_header(lines, index) or _is_wrote_line(lines, index):
            return index
    return len(lines)


def trim_history(text):
    """What the sender wrote, without the quoted conversation below it or their signature.

    Cuts at the first "On … wrote:" line (in several languages), Outlook's
    "Original Message" or From:/Sent: block, or a "-- " signature marker, and
    drops remaining lines quoted with ">". When nothing would be left (say,
    a reply written inside the quote), the whole text is kept instead.
    """
    lines = (text or "").replace("\r\n", "\n").split("\n")
    kept = [line for line in lines[: _history_starts(lines)] if not line.lstrip().startswith(">")]
    trimmed = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    return trimmed or (text or "").strip()


# --- attachments ---------------------------------------------------------------------------


def _filename(part):
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return one_line(name, 200) if name else ""


def _attachments(msg, body):
    found = []

    def visit(part):
        if part is body:
            return
        maintype = part.get_content_maintype()
        if maintype == "multipart":
            for sub in part.iter_parts():
                visit(sub)
            return
        name = _filename(part)
        if maintype == "message":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            data = inner.as_bytes(policy=policy.default) if inner is not None else b""
            found.append(EmailAttachment(name or "message.eml", "message/rfc822", data))
            return
        if maintype == "text" and not name and part.get_content_disposition() != "attachment":
            return  # the body's other version (HTML beside plain text), or a stray text part
        data = part.get_payload(decode=True) or b""
        content_type = part.get_content_type()
        if not name:
            name = f"attachment-{len(found) + 1}{mimetypes.guess_extension(content_type) or '.bin'}"
        found.append(EmailAttachment(name, content_type, data))

    if msg.is_multipart() or msg.get_content_maintype() != "text":
        visit(msg)
    return found


# --- the whole message --------------------------------------------------------------------


def parse_email(raw):
    """Read a stored email; raises MalformedEmail with the reason when it cannot be acted on."""
    if not raw or not raw.strip():
        raise MalformedEmail(_("The email is empty."))
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:
        raise MalformedEmail(_("The email cannot be parsed: %(error)s") % {"error": exc}) from exc
    if not list(msg.raw_items()):
        raise MalformedEmail(_("The email has no headers."))
    sender, sender_name = _sender(msg)
    if not sender:
        raise MalformedEmail(_("The email has no readable From address."))
    body = _body_part(msg)
    full_text = _body_text(body)
    replied = _message_ids(_raw_header(msg, "In-Reply-To"))
    replied += list(reversed(_message_ids(_raw_header(msg, "References"))))
    try:
        attachments = _attachments(msg, body)
    except Exception as exc:
        raise MalformedEmail(_("The attachments cannot be read: %(error)s") % {"error": exc}) from exc
    return ParsedEmail(
        message_id=_message_id(msg),
        sender=sender,
        sender_name=sender_name,
        subject=one_line(_decoded_header(msg, "Subject"), MAX_HEADER_LENGTH),
        replied_ids=list(dict.fromkeys(replied)),
        text=trim_history(full_text),
        full_text=full_text,
        attachments=attachments,
        auto_reply=auto_reply_reason(msg, sender),
        recipient=_recipient(msg),
    )
