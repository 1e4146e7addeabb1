"""The signed-in user's own settings: the language of their pages and e-mail notices.

The choice is stored by :meth:`hub.accounts.Accounts.set_language`, as ``icomm users
language`` stores it.
"""

from __future__ import annotations

from babel import Locale
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hub.accounts import LANGUAGES
from hub.errors import HubError
from hub.web.auth import Viewer, context_of, require_viewer
from hub.web.pages import render_page
from hub.web.rendering import _, current_locale

router = APIRouter(include_in_schema=False)


def language_choices() -> list[tuple[str, str]]:
    """Each language with its name in itself (English, ქართული, Русский): a reader finds
    their own whatever language the page is in."""
    choices = []
    for code in LANGUAGES:
        name = Locale.parse(code).get_display_name(code) or code
        # title case, not upper: Georgian has no capital letters in running text
        choices.append((code, name[:1].title() + name[1:]))
    return choices


async def _settings_page(
    request: Request, viewer: Viewer, *, error: str = "", status_code: int = 200
) -> Response:
    context = {"languages": language_choices(), "chosen": current_locale(), "error": error}
    return await render_page(
        request,
        "settings.html",
        context,
        viewer=viewer,
        status_code=status_code,
        section="settings",
    )


@router.get("/settings")
async def settings(request: Request, viewer: Viewer = Depends(require_viewer)) -> Response:  # noqa: B008
    return await _settings_page(request, viewer)


@router.post("/settings")
async def save_settings(request: Request, viewer: Viewer = Depends(require_viewer)) -> Response:  # noqa: B008
    form = await request.form()
    try:
        await context_of(request).node.accounts.set_language(
            viewer.username, str(form.get("language", ""))
        )
    except HubError:
        error = _("Choose one of the languages in the list.")
        return await _settings_page(request, viewer, error=error, status_code=400)
    return RedirectResponse("/settings?notice=language-saved", status_code=303)
