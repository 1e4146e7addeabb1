"""A MIME mail, as a mail client sends it, read into the fields of an Icomm ``mail``.

Parsed with the standard library's ``email`` package (``policy.default``, which decodes
RFC 2047 subjects and RFC 2231 file names):

* the subject, decoded, on one line (``(no subject)`` when there is none);
* the body: the text/plain part; without one, the text of the HTML part. A further
  inline text/plain part without a file name (Apple Mail splits the text around an
  attachment) is appended to the body;
* ``body_html``: the text/html part of the body, if any;
* attachments: every other leaf part, its bytes exactly as sent (transfer encoding
  undone), its file name decoded and stripped of any folder; a part without a name
  is called ``part-N`` with an extension for its type; an attached mail
  (message/rfc822) is kept whole as ``forwarded-N.eml``;
* ``In-Reply-To``: the Icomm message id it names, if it names one (``<32 hex digits>``
  or ``<32 hex digits@anything>``), so that a reply can join its thread;
* the addresses of ``To`` and ``Cc``, so that envelope recipients not among them
  (``Bcc``) can be kept out of what the other recipients see.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from message_schemas import Attachment

MAX_SUBJECT = 998
MAX_FILENAME = 255
NO_SUBJECT = "(no subject)"
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
ICOMM_ID = re.compile(r"<([0-9a-f]{32})(?:@[^>]*)?>")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BLOCK_TAGS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}


@dataclass
class ParsedMail:
    subject: str = NO_SUBJECT
    body: str = ""
    body_html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str | None = None
    header_recipients: set[str] = field(default_factory=set)


def parse_mail(raw: bytes) -> ParsedMail:
    """Read a mail's bytes (headers and body, as received after DATA)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    parsed = ParsedMail(subject=_subject(message))
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        parsed.body_html = _text_of(html)
    if plain is not None:
        parsed.body = _text_of(plain)
    elif parsed.body_html is not None:
        parsed.body = html_to_text(parsed.body_html)
    chosen = {id(part) for part in (plain, html) if part is not None}
    for index, part in enumerate(_leaves(message), start=1):
        if id(part) in chosen:
            continue
        if (
            part.get_content_type() == "text/plain"
            and part.get_content_disposition() != "attachment"
            and not part.get_filename()
            and plain is not None
        ):
            parsed.body = f"{parsed.body.rstrip()}\n\n{_text_of(part)}"
            continue
        parsed.attachments.append(_attachment(part, index))
    if match := ICOMM_ID.search(str(message.get("in-reply-to", ""))):
        parsed.in_reply_to = match.group(1)
    headers = [str(value) for name in ("to", "cc") for value in message.get_all(name, [])]
    parsed.header_recipients = {address.lower() for _, address in getaddresses(headers) if address}
    return parsed


def _leaves(part: Message) -> list[Message]:
    """The parts that carry content, in order; an attached mail counts as one part."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        payload = part.get_payload()
        assert isinstance(payload, list)
        return [leaf for child in payload for leaf in _leaves(child)]
    return [part]


def _attachment(part: Message, index: int) -> Attachment:
    media_type = part.get_content_type().lower()
    if not MEDIA_TYPE.match(media_type):
        media_type = "application/octet-stream"
    if media_type == "message/rfc822" and part.is_multipart():
        inner = part.get_payload(0)
        assert isinstance(inner, Message)
        return Attachment.from_bytes(f"forwarded-{index}.eml", inner.as_bytes(), media_type)
    content = part.get_payload(decode=True)
    if not isinstance(content, bytes):
        content = b""
    return Attachment.from_bytes(_filename(part, index, media_type), content, media_type)


def _filename(part: Message, index: int, media_type: str) -> str:
    """The part's own file name, decoded, without folders or control characters."""
    try:
        name = part.get_filename() or ""
    except (ValueError, LookupError):
        name = ""
    name = CONTROL.sub("", _clean(name)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        extension = mimetypes.guess_extension(media_type) or ".bin"
        name = f"part-{index}{extension}"
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        extension = f"{dot}{extension}" if stem and len(extension) <= 16 else ""
        name = name[: MAX_FILENAME - len(extension)] + extension
    return name


def _subject(message: EmailMessage) -> str:
    try:
        subject = str(message.get("subject", ""))
    except (ValueError, LookupError):
        subject = ""
    subject = " ".join(CONTROL.sub(" ", _clean(subject)).split())
    return subject[:MAX_SUBJECT] or NO_SUBJECT


def _text_of(part: Message) -> str:
    """A text part's content as text, in whatever charset it declares (LF line ends)."""
    text: object = None
    if isinstance(part, EmailMessage):
        try:
            text = part.get_content()
        except (LookupError, ValueError):  # an unknown or lying charset
            text = None
    if not isinstance(text, str):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return _clean(text).replace("\r\n", "\n").replace("\r", "\n")


def _clean(text: str) -> str:
    """Undo the surrogate escapes of raw 8-bit headers (read as UTF-8, else replaced)."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that no escape made
        return text.encode("utf-8", "replace").decode("utf-8")


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head", "title"}:
            self._skip += 1
        elif tag in BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head", "title"}:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: tags dropped, blocks on lines of their own."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
