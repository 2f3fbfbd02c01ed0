"""Why a draft was routed, as text on the approver's page (#14 item 3): not only a tooltip on a P1 marker."""

from __future__ import annotations

import html
import re


SAFEGUARDING_POST = "I want to end my life, nobody at the council listens."
PLAIN_REPLY = "Thanks for letting us know, the crew will fix the light this week."


def visible_text(page: str) -> str:
    """The page as a reader sees it: no tooltips (title attributes), no tags, one space between words."""
    page = re.sub(r'\stitle="[^"]*"', "", page)
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_approver_reads_why_a_reply_was_routed_when_the_reason_is_the_post(
    client_for, make_user, make_draft, make_inbound, account, staff, checker
) -> None:
    lead = make_user("lee", roles=["approver"], groups=["safeguarding"], display_name="Lee Safe")
    make_user("ana", roles=["approver"], groups=["safeguarding"], display_name="Ana Second")
    inbound = make_inbound(account, text=SAFEGUARDING_POST, author_handle="@worried")
    draft = make_draft("pending", text=PLAIN_REPLY, author=staff, inbound=inbound)
    assert draft.routes == ["safeguarding"]
    reason = next(f for f in draft.verdict["findings"] if f["rule"] == "safeguarding.inbound")

    review_page = client_for(lead).get(f"/review/drafts/{draft.id}").get_data(as_text=True)
    text = visible_text(review_page)
    assert reason["message"] in text  # readable without hovering
    assert re.search(r"Routed to safeguarding because of the post being answered \(P1(, P\d+)*\): see the findings below", text)

    # the staff editor's live panel draws the same finding with the same words, under the same heading
    staff_client = client_for(staff)
    editor = staff_client.get(f"/posts/{inbound.id}").get_data(as_text=True)
    live = staff_client.post(
        "/drafting/check", json={"account_id": account.id, "text": PLAIN_REPLY, "inbound_id": inbound.id}
    ).get_json()
    assert reason["message"] in [f["message"] for f in live["context_findings"]]
    assert "About the post being answered" in visible_text(editor) and "About the post being answered" in text
