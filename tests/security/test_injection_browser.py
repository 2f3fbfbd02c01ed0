"""In a real Chromium, hostile text never runs: no dialog, no console message from it, no CSP violation, no request.

The hostile world (payloads.py) is served on a loopback port with CSRF on.
Each role signs in through the form and opens every page that shows a
payload; the staff member also types the payload into the reply editor, so
the live check draws it (drafting.js). A script added before any page
script counts `securitypolicyviolation` events: escaping is the defence,
CSP the second line, so the count must be zero (a blocked payload would
still mean one got into the page as markup).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import payloads
import pytest
from skips import skip_or_fail
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
COUNT_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
# Elements and attributes the payloads would create if they became markup.
LIVE_PAYLOAD = "script:not([src]), svg, iframe, object, embed, style, [onerror], [onload], [onmouseover], [onfocus], [style]"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, pytestconfig: pytest.Config) -> dict:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--no-first-run", "--disable-dev-shm-usage"]
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": flags}


@pytest.fixture
def served(secure_app, db_session, make_user, make_account, make_inbound, checker) -> Iterator[Any]:
    world = payloads.build(db_session, make_user, make_account, make_inbound, checker)
    server = make_server("127.0.0.1", 0, secure_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    world.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield world
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Watch:
    """Everything a page did that a payload could have caused."""

    def __init__(self, page: Any, base: str) -> None:
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("request", lambda request: self._request(request, base))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any, base: str) -> None:
        url = request.url
        if request.resource_type == "document" and url.startswith(base):
            return
        if url.startswith(f"{base}/static/") or (url.startswith(base) and request.resource_type in ("fetch", "xhr")):
            return
        self.requests.append(f"{request.resource_type} {url}")


def _sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _check_page(page: Any, watch: Watch, where: str) -> dict[str, Any]:
    found = page.evaluate(
        """(selector) => ({
            violations: window.__violations || [],
            live: Array.from(document.querySelectorAll(selector)).map((e) => e.outerHTML.slice(0, 120)),
            overflow: document.documentElement.scrollWidth - window.innerWidth,
        })""",
        LIVE_PAYLOAD,
    )
    assert watch.dialogs == [], f"{where}: a payload opened a dialog: {watch.dialogs}"
    assert [m for m in watch.console if "xss" in m.lower() or "pageerror" in m] == [], f"{where}: {watch.console}"
    assert found["violations"] == [], f"{where}: CSP violations (a payload became markup): {found['violations']}"
    assert found["live"] == [], f"{where}: payload elements in the DOM: {found['live']}"
    assert watch.requests == [], f"{where}: requests a payload made: {watch.requests}"
    return found


@pytest.mark.slow
def test_no_payload_runs_in_chromium_on_any_page(served, browser) -> None:
    people = {"staff": served.staff, "approver": served.approver, "auditor": served.auditor, "admin": served.admin}
    overflowing = []
    pages = 0
    for role, user in people.items():
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(COUNT_VIOLATIONS)
        page = context.new_page()
        watch = Watch(page, served.url)
        _sign_in(page, served.url, user.username, user.test_password)
        for url, _markers in payloads.pages_showing(served)[role]:
            response = page.goto(served.url + url)
            assert response is not None and response.status == 200, f"{role} {url}"
            found = _check_page(page, watch, f"{role} {url}")
            if found["overflow"] > 1:
                overflowing.append(f"{role} {url} (+{found['overflow']}px)")
            pages += 1
        if role == "staff":
            _type_into_the_editor(page, watch, served)
        context.close()
    assert pages >= 25
    # A 4,000-character word must wrap inside its box, not widen the page.
    assert overflowing == [], f"pages wider than the window: {overflowing}"


def _type_into_the_editor(page: Any, watch: Watch, served: Any) -> None:
    """The live check draws the typed payload back (highlights, findings): still only text."""
    page.goto(f"{served.url}/posts/{served.post.id}")
    editor = page.get_by_role("textbox", name="Your reply")
    with page.expect_response(lambda response: response.url.endswith("/drafting/check")) as checked:
        editor.fill(payloads.HTML_TEXT + " " + payloads.UNICODE_TEXT)
    assert checked.value.status == 200
    page.wait_for_timeout(300)  # the script draws the answer after the response arrives
    assert 'alert("xss-script")' in page.locator("[data-live-check]").evaluate("(form) => form.parentElement.textContent")
    _check_page(page, watch, "staff editor with a typed payload")
