"""The drafting styles and live-check script load from <head> (the layout's head block), once, on every page that uses them."""

from __future__ import annotations

import re

import pytest

from drafting_pages import page_text  # type: ignore[import-not-found]
from fixtures_workflow import REVIEW_TEXT  # type: ignore[import-not-found]

ASSETS = ('<link rel="stylesheet" href="/static/drafting.css">', '<script src="/static/drafting.js" defer></script>')


def assert_assets_in_head(page: str, where: str) -> None:
    head, body = re.search(r"<head>(.*?)</head>(.*)", page, re.S).groups()
    for tag in ASSETS:
        assert head.count(tag) == 1, f"{where}: {tag} is not in <head> exactly once"
    assert "drafting.css" not in body and "drafting.js" not in body, f"{where}: drafting assets inside <body>"
    # After the site's own stylesheet, so the drafting rules win ties.
    assert head.index("/static/reviewer.css") < head.index("/static/drafting.css"), where


@pytest.fixture
def approver_client(shipped_app, make_user, login):
    client = shipped_app.test_client()
    assert login(client, make_user("mere", roles=["approver"], groups=["comms"])).status_code == 302
    return client


def test_staff_pages_load_the_drafting_assets_in_the_head(staff_client, staff, account, make_inbound, make_draft) -> None:
    post = make_inbound(account)
    draft = make_draft("draft", account=account, author=staff)
    for path in ("/inbox/", f"/inbox/{account.id}", f"/inbox/{account.id}/upload", f"/inbox/{account.id}/compose",
                 f"/posts/{post.id}", f"/drafts/{draft.id}"):
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert_assets_in_head(page_text(response), path)


def test_approver_pages_load_the_drafting_assets_in_the_head(approver_client, staff, account, make_draft) -> None:
    draft = make_draft("pending", text=REVIEW_TEXT, account=account, author=staff)
    for path in ("/review/", "/review/?group=comms", f"/review/drafts/{draft.id}", "/review/response-times"):
        response = approver_client.get(path)
        assert response.status_code == 200, path
        assert_assets_in_head(page_text(response), path)
