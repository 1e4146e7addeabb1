"""Concealment photos on a case: uploaded into the node's encrypted blob store, listed and
shown only through the case, images only (told by their bytes), size capped.

Embedded default only (SQLite and the local spool).
"""

from __future__ import annotations

import hashlib
import re

import httpx
from casepages import png, signed_in
from casework import complete_seizure
from webclient import browser, csrf

from adapters.casestore import CaseStore
from hub.node import Node
from hub.web import create_app
from hub.web.photos import PHOTO_MAX_BYTES

PNG = png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300)


async def upload(
    client: httpx.AsyncClient, ref: str, name: str, content: bytes, media_type: str
) -> httpx.Response:
    token = csrf(await client.get(f"/cases/{ref}"))
    return await client.post(
        f"/cases/{ref}/photos",
        data={"csrf_token": token},
        files={"photo": (name, content, media_type)},
    )


async def test_a_photo_is_uploaded_listed_and_shown_as_the_image_it_is(ge: Node) -> None:
    ref = (await CaseStore(ge).create("levan", complete_seizure())).ref
    digest = hashlib.sha256(PNG).hexdigest()
    async with signed_in(create_app(ge), "levan") as levan:
        # a browser's claimed type is not believed: the bytes say PNG
        done = await upload(levan, ref, "../../spare tyre.png", PNG, "application/octet-stream")
        assert done.status_code == 303 and "done=photo-added" in done.headers["location"]
        page = await levan.get(f"/cases/{ref}")
        assert f'<img src="/cases/{ref}/photos/{digest}"' in page.text
        assert "spare tyre.png" in page.text and "../" not in page.text
        shown = await levan.get(f"/cases/{ref}/photos/{digest}")
        assert shown.status_code == 200 and shown.content == PNG
        assert shown.headers["content-type"] == "image/png"
        assert shown.headers["x-content-type-options"] == "nosniff"
    [photo] = (await CaseStore(ge).get(ref)).seizure.photos
    assert (photo.sha256, photo.filename, photo.media_type) == (
        digest,
        "spare tyre.png",
        "image/png",
    )
    stored = ge.settings.blob_dir / digest[:2] / digest
    assert stored.exists() and PNG not in stored.read_bytes()  # encrypted at rest


async def test_only_images_under_the_cap_are_taken(ge: Node) -> None:
    ref = (await CaseStore(ge).create("levan", complete_seizure())).ref
    async with signed_in(create_app(ge), "levan") as levan:
        script = await upload(levan, ref, "photo.jpg", b"<script>alert(1)</script>", "image/jpeg")
        assert script.status_code == 415
        assert "not a JPEG, PNG, GIF or WebP image" in script.text
        huge = JPEG + bytes(PHOTO_MAX_BYTES)
        too_large = await upload(levan, ref, "huge.jpg", huge, "image/jpeg")
        assert too_large.status_code == 413 and "larger than 10 MB" in too_large.text
        nothing = await levan.post(f"/cases/{ref}/photos", data={"csrf_token": csrf(script)})
        assert nothing.status_code == 400 and "Choose a photo to upload." in nothing.text
    assert (await CaseStore(ge).get(ref)).seizure.photos == []


async def test_a_photo_is_served_only_with_its_case_and_to_signed_in_users(ge: Node) -> None:
    store = CaseStore(ge)
    ref = (await store.create("levan", complete_seizure())).ref
    other = (await store.create("levan", complete_seizure())).ref
    digest = hashlib.sha256(JPEG).hexdigest()
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        assert (await upload(levan, ref, "seat.jpg", JPEG, "image/jpeg")).status_code == 303
        assert (await levan.get(f"/cases/{other}/photos/{digest}")).status_code == 404
        assert (await levan.get(f"/cases/{ref}/photos/{'0' * 64}")).status_code == 404
        assert (await levan.get(f"/cases/{ref}/photos/..%2Fsecret")).status_code == 404
    async with signed_in(app, "tamar") as tamar:  # every signed-in user may see it
        shown = await tamar.get(f"/cases/{ref}/photos/{digest}")
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
        page = await tamar.get(f"/cases/{ref}")
        assert "/remove" not in page.text and 'id="photo"' not in page.text  # not theirs
    async with browser(app) as anonymous:
        refused = await anonymous.get(f"/cases/{ref}/photos/{digest}")
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


async def test_a_photo_is_removed_by_whoever_may_edit_the_case(ge: Node) -> None:
    ref = (await CaseStore(ge).create("levan", complete_seizure())).ref
    digest = hashlib.sha256(PNG).hexdigest()
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        await upload(levan, ref, "tyre.png", PNG, "image/png")
    async with signed_in(app, "tamar") as tamar:
        page = await tamar.get(f"/cases/{ref}")
        refused = await tamar.post(
            f"/cases/{ref}/photos/{digest}/remove", data={"csrf_token": csrf(page)}
        )
        assert refused.status_code == 403
    async with signed_in(app, "levan") as levan:
        page = await levan.get(f"/cases/{ref}")
        assert re.search(rf'action="/cases/{ref}/photos/{digest}/remove"', page.text)
        done = await levan.post(
            f"/cases/{ref}/photos/{digest}/remove", data={"csrf_token": csrf(page)}
        )
        assert done.status_code == 303 and "done=photo-removed" in done.headers["location"]
    assert (await CaseStore(ge).get(ref)).seizure.photos == []
