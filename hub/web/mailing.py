"""Mail as the web app and the JSON API write and list it: recipients, drafts, replies,
the folder listing and what each choice of the compose form means.

Shared by the pages (:mod:`hub.web.mail_views`) and the API (:mod:`hub.web.api`), so
both refuse the same things with the same words.
"""

from __future__ import annotations

import math
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError

from hub.errors import HubError
from hub.router import resolve_locals
from hub.web.rendering import N_, _, format_filesize, format_moment, ngettext
from message_schemas import Attachment, HandlingCode, Mail, SchemaError, parse_address
from message_schemas.mail import MediaType
from storage import FolderItem

if TYPE_CHECKING:
    from hub.mailbox import OpenedMessage
    from hub.node import Node

FOLDERS = {"inbox": N_("Inbox"), "sent": N_("Sent")}

HANDLING_CODES = [
    (HandlingCode.H0.value, N_("may be passed on to other services and partners")),
    (HandlingCode.H1.value, N_("may be used in analysis, but not passed on")),
    (HandlingCode.H2.value, N_("for information only: not used in analysis, not passed on")),
]
SOURCE_EVALUATIONS = [
    ("A", N_("reliable")),
    ("B", N_("usually reliable")),
    ("C", N_("not usually reliable")),
    ("X", N_("reliability cannot be judged")),
]
INFORMATION_EVALUATIONS = [
    ("1", N_("known to be true without reservation")),
    ("2", N_("known personally to the source")),
    ("3", N_("not known personally to the source, but corroborated")),
    ("4", N_("cannot be judged")),
]
_SEPARATORS = re.compile(r"[,;\r\n]+")
_NAMED = re.compile(r"^[^<>]*<([^<>]*)>$")  # Nino Beridze <nino.beridze@ge>
_MEDIA_TYPE: TypeAdapter[str] = TypeAdapter(MediaType)
REPLY_PREFIX = re.compile(r"^\s*re\s*:", re.IGNORECASE)


class ComposeError(Exception):
    """A draft that cannot be sent, with every problem found (translated)."""

    def __init__(self, problems: Sequence[str], *, too_large: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)
        self.too_large = too_large


@dataclass
class Draft:
    """What the compose form (or the API) holds; text as typed."""

    to: str = ""
    subject: str = ""
    body: str = ""
    handling_code: str = HandlingCode.H1.value
    source_evaluation: str = ""
    information_evaluation: str = ""
    in_reply_to: str = ""


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    media_type: str | None = None


@dataclass(frozen=True)
class Listed:
    """One line of a folder: the message row, read state, attachments, delivery counts."""

    item: FolderItem
    attachments: int
    delivery: dict[str, int] = field(default_factory=dict)

    @property
    def unread(self) -> bool:
        return self.item.read_at is None


def parse_recipients(text: str | Sequence[str], node: str) -> tuple[list[str], list[str]]:
    """Addresses from "a@ge, b; Name <c@am>" (a bare name is a user or group of this
    node): (addresses, problems)."""
    items = _SEPARATORS.split(text) if isinstance(text, str) else list(text)
    addresses: list[str] = []
    problems = []
    for raw in items:
        item = raw.strip()
        if named := _NAMED.match(item):
            item = named.group(1).strip()
        if not item:
            continue
        candidate = item if "@" in item else f"{item}@{node}"
        try:
            local, at = parse_address(candidate)
        except SchemaError:
            problems.append(
                _(
                    "“%(item)s” is not an address: write name@node (e.g. nino.beridze@ge).",
                    item=item,
                )
            )
            continue
        if f"{local}@{at}" not in addresses:
            addresses.append(f"{local}@{at}")
    if not addresses and not problems:
        problems.append(_("Add at least one recipient."))
    return addresses, problems


def safe_filename(name: str) -> str:
    """A bare file name from what a browser or client sent (no folders, no NUL)."""
    bare = re.split(r"[/\\]", name.replace("\x00", ""))[-1].strip()
    return bare if bare not in {"", ".", ".."} else "attachment"


def media_type_of(upload: Upload) -> str:
    """The declared media type if it is one, else a guess from the file name."""
    declared = (upload.media_type or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        try:
            return _MEDIA_TYPE.validate_python(declared)
        except ValidationError:
            pass
    return mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"


async def send_draft(node: Node, username: str, draft: Draft, uploads: Sequence[Upload]) -> Mail:
    """Check a draft, build the mail and submit it; ComposeError lists what is wrong."""
    recipients, problems = parse_recipients(draft.to, node.id)
    problems += await _unknown_here(node, recipients)
    if draft.handling_code not in {code for code, _meaning in HANDLING_CODES}:
        problems.append(_("Choose a handling code: H0, H1 or H2."))
    source = draft.source_evaluation or None
    if source is not None and source not in {code for code, _m in SOURCE_EVALUATIONS}:
        problems.append(_("The source evaluation is A, B, C or X."))
    information = draft.information_evaluation or None
    if information is not None and information not in {c for c, _m in INFORMATION_EVALUATIONS}:
        problems.append(_("The information evaluation is 1, 2, 3 or 4."))
    thread_id = in_reply_to = None
    if draft.in_reply_to:
        try:
            original = await node.mailbox.stored(username, draft.in_reply_to)
        except HubError:
            problems.append(_("The message you are replying to is not in your mailbox."))
        else:
            in_reply_to, thread_id = original.id, original.thread_id or original.id
    body_size = len(draft.body.encode())
    size = body_size + sum(len(u.content) for u in uploads)
    # attachments travel base64-encoded: the node's limit is on the encoded message
    too_large = body_size + sum(4 * math.ceil(len(u.content) / 3) for u in uploads) > (
        node.settings.max_message_bytes
    )
    if too_large:
        problems.append(too_large_problem(node, size))
    if problems:
        raise ComposeError(problems, too_large=too_large)
    try:
        mail = Mail(
            sender=f"{username}@{node.id}",
            to=recipients,
            subject=" ".join(draft.subject.splitlines()).strip(),
            body=draft.body.replace("\r\n", "\n"),
            handling_code=HandlingCode(draft.handling_code),
            source_evaluation=source,
            information_evaluation=information,
            thread_id=thread_id,
            in_reply_to=in_reply_to,
            attachments=[
                Attachment.from_bytes(
                    safe_filename(u.filename), u.content, media_type=media_type_of(u)
                )
                for u in uploads
            ],
        )
    except ValidationError as exc:
        raise ComposeError([_problem(error) for error in exc.errors()]) from exc
    try:
        sent = await node.submit(mail)
    except HubError as exc:
        raise ComposeError([str(exc)]) from exc
    assert isinstance(sent, Mail)
    return sent


def allowance(node: Node) -> int:
    """About how much one mail can carry (files travel base64-encoded: 4 bytes for 3)."""
    return node.settings.max_message_bytes * 3 // 4


def too_large_problem(node: Node, size: int) -> str:
    return _(
        "This message comes to %(size)s; one message can carry about %(allowance)s. "
        "Send large files in several messages.",
        size=format_filesize(size),
        allowance=format_filesize(allowance(node)),
    )


def _problem(error: object) -> str:
    details = error if isinstance(error, dict) else {}
    where = ".".join(str(part) for part in details.get("loc", ()))
    return f"{where}: {details.get('msg', '')}" if where else str(details.get("msg", error))


async def _unknown_here(node: Node, addresses: Sequence[str]) -> list[str]:
    """Problems with the recipients at this node: nobody by that name, or deactivated."""
    parsed = {address: parse_address(address) for address in addresses}
    here = {address: local for address, (local, at) in parsed.items() if at == node.id}
    async with node.db.transaction() as tx:
        resolved = await resolve_locals(tx, set(here.values()))
    return [
        _("%(address)s: %(reason)s.", address=address, reason=failure)
        for address, local in here.items()
        if (failure := resolved[local].failure) is not None
    ]


def reply_draft(opened: OpenedMessage, me: str, *, reply_all: bool) -> Draft:
    """A reply (to the sender, or to everyone) quoting the original, in its thread."""
    message = opened.message
    people = [message.sender, *(message.to if reply_all else [])]
    if message.sender == me:  # a reply to one's own message goes to its recipients again
        people = list(message.to)
    recipients = list(dict.fromkeys(a for a in people if a != me)) or [me]
    subject = getattr(message, "subject", "") or ""
    if not REPLY_PREFIX.match(subject):  # "Re:" in every language: mail clients know it
        subject = f"Re: {subject}".strip()
    body = getattr(message, "body", "") or ""
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.splitlines())
    intro = _(
        "On %(date)s, %(sender)s wrote:",
        date=format_moment(message.created),
        sender=message.sender,
    )
    handling = getattr(message, "handling_code", HandlingCode.H1)
    return Draft(
        to=", ".join(recipients),
        subject=subject[:998],
        body=f"\n\n{intro}\n{quoted}\n",
        handling_code=HandlingCode(handling).value,
        in_reply_to=message.id,
    )


async def listing(
    node: Node,
    owner: str,
    folder: str,
    *,
    search: str = "",
    unread_only: bool = False,
    limit: int = 200,
) -> list[Listed]:
    """A folder (or the messages of it matching ``search``), newest first."""
    if search.strip():
        items = await node.mailbox.search(owner, search, folder, limit=limit)
        if unread_only:
            items = [item for item in items if item.read_at is None]
    else:
        items = await node.mailbox.folder(owner, folder, unread_only=unread_only, limit=limit)
    ids = [item.message.id for item in items]
    counts = await node.mailbox.attachment_counts(ids)
    deliveries = await node.mailbox.delivery_summary(ids) if folder == "sent" else {}
    return [
        Listed(item, counts.get(item.message.id, 0), deliveries.get(item.message.id, {}))
        for item in items
    ]


def delivery_text(counts: dict[str, int]) -> str:
    """Delivery counts in words, e.g. "2 delivered, 1 pending" (empty: nothing known)."""
    words = {
        "delivered": lambda n: ngettext("%(num)s delivered", "%(num)s delivered", n),
        "pending": lambda n: ngettext("%(num)s pending", "%(num)s pending", n),
        "failed": lambda n: ngettext("%(num)s failed", "%(num)s failed", n),
    }
    return ", ".join(words[state](counts[state]) for state in words if counts.get(state))


async def display_names(node: Node) -> dict[str, str]:
    """The names of this node's users by address, to show beside their addresses."""
    return {
        f"{account.username}@{node.id}": account.display_name
        for account in await node.accounts.list_users()
        if account.display_name
    }


def content_disposition(filename: str) -> str:
    """``attachment`` with the name in ASCII and in UTF-8 (RFC 6266 / RFC 5987)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
