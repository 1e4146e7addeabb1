"""Concealment photos as the web app takes them: images only, told by their first bytes
(never by the name or the type a browser claims), and no larger than a cap.

A photo is kept like a mail's attachment: its bytes go to the node's encrypted,
content-addressed blob store (``node.blobs``), and the case's record keeps a
:class:`message_schemas.Photo` naming it by its SHA-256.
"""

from __future__ import annotations

from hub.web.rendering import format_filesize

PHOTO_MAX_BYTES = 10_000_000
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),  # after "RIFF" and the length
)
PHOTO_TYPES = tuple(dict.fromkeys(media_type for _sig, _at, media_type in SIGNATURES))


def image_type(content: bytes) -> str | None:
    """The media type of an image in one of the accepted formats (None: not one)."""
    for signature, at, media_type in SIGNATURES:
        if content[at : at + len(signature)] == signature and (
            at == 0 or content.startswith(b"RIFF")
        ):
            return media_type
    return None


def photo_limit() -> str:
    return format_filesize(PHOTO_MAX_BYTES)
