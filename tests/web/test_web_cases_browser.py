"""End to end in headless Chromium against a node run by ``icomm serve``: an officer enters
a seizure by its labels (a commodity row added without JavaScript), is shown every problem
at once with what they typed kept, adds a concealment photo and submits; an administrator
validates it from the queue and finds it on the CEN page. Every step leaves a screenshot
(tests/browser.py); no page may answer 5xx or log a console error (a CSP violation, say).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from browser import Screenshots, ServedNode, User, chromium, needs_chromium, served_node, sign_in
from casepages import png
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect

from hub.accounts import Role

pytestmark = needs_chromium

USERS = [User("nino", "Nino Beridze", Role.ADMIN), User("levan", "Levan Kapanadze")]
PNG = png()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with served_node(tmp_path_factory.mktemp("served"), USERS) as served:
        yield served


@pytest.fixture(scope="module")
def chrome() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


class Watched:
    """A person's page, noting any 5xx and any console error."""

    def __init__(self, browser: Browser, node: ServedNode, username: str) -> None:
        self.context = browser.new_context(base_url=node.url)
        self.context.set_default_timeout(10_000)
        self.problems: list[str] = []
        self.page = self.context.new_page()
        self.page.on("response", self._response)
        self.page.on("console", self._console)
        sign_in(self.page, username)

    def _response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} for {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


def fill_case(page: Page) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    page.get_by_label("Case number").fill("GE-E2E-1")
    page.get_by_label("Date and time (UTC)").fill(yesterday.strftime("%Y-%m-%dT10:30"))
    page.get_by_label("Customs office code").fill("GE-SARPI")
    page.get_by_label("Kind of place").select_option("land")
    page.get_by_label("Direction", exact=True).select_option("import")
    page.get_by_label("Category, Commodity 1").select_option("drugs")
    page.get_by_label("Type, Commodity 1").select_option("cocaine")
    page.get_by_label("Quantity, Commodity 1").fill("12.5")
    page.get_by_label("Unit, Commodity 1").select_option("kg")
    page.get_by_label("Detection method").select_option("x_ray")
    page.get_by_label("Source evaluation").select_option("B")
    page.get_by_label("Information evaluation").select_option("2")
    page.get_by_label("Transit countries").select_option(["GE"])


def test_an_officer_enters_a_case_that_an_administrator_validates(
    chrome: Browser, node: ServedNode
) -> None:
    shots = Screenshots("cases")
    levan = Watched(chrome, node, "levan")
    page = levan.page
    page.get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="New case").click()
    fill_case(page)
    page.get_by_label("Quantity, Commodity 1").fill("twelve")
    page.get_by_label("Customs office code").fill("")
    page.get_by_role("button", name="Add a commodity row").click()
    expect(page.get_by_label("Category, Commodity 3")).to_be_visible()
    expect(page.get_by_label("Quantity, Commodity 1")).to_have_value("twelve")
    shots.take(page, "new-case-rows")
    page.get_by_role("button", name="Save and submit for validation").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing is saved yet")
    expect(alert).to_contain_text("Quantity, Commodity 1: not a number")
    expect(alert).to_contain_text("Customs office code: required")
    expect(page.get_by_label("Case number")).to_have_value("GE-E2E-1")
    shots.take(page, "every-problem-at-once")

    page.get_by_label("Quantity, Commodity 1").fill("12.5")
    page.get_by_label("Customs office code").fill("GE-SARPI")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    page.get_by_label("Concealment photo", exact=True).set_input_files(
        {"name": "spare tyre.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Upload photo").click()
    photo = page.get_by_role("img", name="Concealment photo spare tyre.png")
    expect(photo).to_be_visible()
    digest = hashlib.sha256(PNG).hexdigest()
    assert digest in (photo.get_attribute("src") or "")
    photo.scroll_into_view_if_needed()  # it loads lazily
    expect(photo).to_have_js_property("naturalWidth", 40)  # served, and decoded
    shots.take(page, "draft-with-photo")
    page.get_by_role("button", name="Submit for validation").click()
    expect(page.get_by_role("status")).to_contain_text("The case is submitted for validation.")
    page.get_by_role("link", name="Cases", exact=True).click()
    page.get_by_label("Status").select_option("submitted")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="GE-E2E-1")).to_be_visible()
    shots.take(page, "case-list")
    levan.close()

    nino = Watched(chrome, node, "nino")
    page = nino.page
    page.get_by_role("link", name="Validation").click()
    expect(page.get_by_role("heading", name="Validation")).to_contain_text("1 case waiting")
    shots.take(page, "queue")
    page.get_by_role("button", name="Validate GE-E2E-1").click()
    expect(page.get_by_role("status")).to_contain_text("The case is validated.")
    page.get_by_role("link", name="CEN").click()
    expect(page.get_by_role("button", name="Transmit to the WCO")).to_be_enabled()
    expect(page.get_by_role("link", name="GE-E2E-1")).to_be_visible()
    shots.take(page, "cen")
    nino.close()


def test_an_officer_adds_a_suspect_and_finds_them_in_another_script(
    chrome: Browser, node: ServedNode
) -> None:
    shots = Screenshots("suspects")
    levan = Watched(chrome, node, "levan")
    page = levan.page
    page.get_by_role("link", name="Suspects").click()
    page.get_by_role("link", name="New suspect").click()
    page.get_by_label("Surname").fill("Beridze")
    page.get_by_label("Given names").fill("Giorgi")
    page.get_by_label("Nationality").select_option("GE")
    page.get_by_label("Document number, Identity document 1").fill("13AB45678")
    shots.take(page, "new-suspect")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The suspect is added.")
    page.get_by_role("link", name="Suspects", exact=True).click()
    page.get_by_label("Name").fill("ბერიძე")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Giorgi Beridze")).to_be_visible()
    shots.take(page, "found-in-georgian")
    levan.close()
