"""Approval dead ends: Approve is offered only to someone who may use it; the page says who can; an edit
that would leave nobody able to approve is warned about before it is made."""

from __future__ import annotations

import re


def page_of(client, draft) -> str:
    return client.get(f"/review/drafts/{draft.id}").get_data(as_text=True)


def test_the_only_approver_of_a_group_is_warned_before_an_edit_strands_the_draft(client_for, mere, pending) -> None:
    draft = pending()  # routed to comms, where Mere is the only member
    page = page_of(client_for(mere), draft)
    assert f'action="/review/drafts/{draft.id}/approve"' in page  # she may approve the staff member's text
    assert "If you edit it, nobody will be able to approve it" in page
    assert "Return it for changes with a comment instead" in page


def test_no_edit_warning_when_another_approver_could_approve_the_edit(client_for, mere, hemi, pending) -> None:
    draft = pending()
    page = page_of(client_for(mere), draft)
    assert "If you edit it, nobody will be able to approve it" not in page


def test_after_the_only_approvers_own_edit_the_page_says_nobody_can_approve(client_for, mere, pending, reload) -> None:
    draft = pending()
    client = client_for(mere)
    edited = "We promise the pool will reopen soon, and we'll confirm the date here."
    response = client.post(f"/review/drafts/{draft.id}/edit", data={"expected_version": str(draft.lock_version), "text": edited})
    assert response.status_code == 302
    page = page_of(client, reload(draft))
    assert f'action="/review/drafts/{draft.id}/approve"' not in page
    assert "You edited this version, so another approver must approve it." in page
    assert re.search(r"Nobody else in comms can approve it now\.</strong> Return it with a comment", page)
