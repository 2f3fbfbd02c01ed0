"""Hostile text for every field a person controls, and a world built from it.

Each payload carries markers (`xss-...`) that appear in the page text when
the payload is shown as text, and would appear as live markup (an element,
a handler, a URL) if it were not. Names are short (fields of 80-120
characters); draft and post texts carry every vector at once.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

# Every vector in one text: tags, handlers, javascript: URLs, SVG, CSS, attribute breakouts, a closing textarea.
HTML_TEXT = (
    '<script>alert("xss-script")</script> <img src=x onerror=alert("xss-img")> '
    '<svg onload=alert("xss-svg")><circle r=1 /></svg> <a href="javascript:alert(\'xss-js\')">xss-link</a> '
    "<style>body{background:url(javascript:alert('xss-style'))}</style> "
    '<p style="width:expression(alert(\'xss-css\'))">xss-expression</p> '
    '"><b onmouseover=alert("xss-attr")>x</b> \'><i onfocus=\'alert(1)\' autofocus> </textarea><iframe src="javascript:alert(\'xss-iframe\')"></iframe> '
    '<img src="file:///etc/passwd"> {{7*7}} ${7*7} <!-- xss-comment -->'
)
# Bidi override, zero-width characters, homoglyphs (Cyrillic а, р, у), and an unbroken 4,000-character word.
UNICODE_TEXT = "\u202egnp.exe\u202c xss-rtl zero\u200bwidth\u200djoin\ufeff \u0440\u0430\u0443\u0440\u0430l-xss-homoglyph " + "w" * 4000
# Fits the short fields (names, handles, descriptions, comments).
SHORT = '"><script>alert("xss-name")</script><svg onload=alert(1)><img src=x onerror=alert(2)>'
TOKEN_NAME = '"><svg onload=alert(1)><script>alert("xss-token")</script>'

#: Strings that must be in the page text of a page showing the matching payload.
HTML_MARKERS = ('alert("xss-script")', 'onerror=alert("xss-img")', "xss-link", "width:expression(", "</textarea><iframe")
SHORT_MARKER = '<script>alert("xss-name")</script>'


def build(db_session: Any, make_user: Any, make_account: Any, make_inbound: Any, checker: Any) -> SimpleNamespace:
    """Users, an account, posts, drafts in every state, comments, reasons, tokens and a group, all hostile."""
    from reviewer.accounts.services import create_group
    from reviewer.api.services import create_token
    from reviewer.drafting.services import create_draft, revise_draft
    from reviewer.review import services as review
    from reviewer.review.submitting import submit_draft

    from fixtures_workflow import REVIEW_TEXT

    db_session.commit()
    create_group(db_session, None, "team-x", description=SHORT)
    db_session.commit()
    w = SimpleNamespace()
    w.account = make_account("HostileCouncil", platform="facebook", name=SHORT, groups=["team-x"])
    w.staff = make_user("staff-x", roles=["staff"], groups=["team-x"], display_name=SHORT)
    w.approver = make_user("approver-x", roles=["approver"], groups=["comms"], display_name=SHORT)
    w.other = make_user("approver-y", roles=["approver"], groups=["comms"])
    w.auditor = make_user("auditor-x", roles=["auditor"])
    w.admin = make_user("admin-x", roles=["admin"], display_name=SHORT)
    w.post = make_inbound(w.account, text=HTML_TEXT + " " + UNICODE_TEXT, author_handle=SHORT[:100])
    db_session.commit()
    # A draft with two versions (a diff of hostile text), left as a draft.
    w.draft = create_draft(db_session, w.staff, checker, w.account, HTML_TEXT, inbound=w.post)
    revise_draft(db_session, w.staff, checker, w.draft, HTML_TEXT + " " + UNICODE_TEXT)
    # Pending (routed to comms by the review text), returned with a hostile comment, and rejected with a hostile reason.
    w.pending = create_draft(db_session, w.staff, checker, w.account, REVIEW_TEXT + " " + HTML_TEXT)
    submit_draft(db_session, w.staff, checker, w.pending)
    w.returned = create_draft(db_session, w.staff, checker, w.account, REVIEW_TEXT + " " + UNICODE_TEXT)
    submit_draft(db_session, w.staff, checker, w.returned)
    review.return_for_changes(db_session, w.approver, w.returned, SHORT + " xss-comment", expected_version=w.returned.lock_version)
    w.rejected = create_draft(db_session, w.staff, checker, w.account, REVIEW_TEXT + " " + HTML_TEXT)
    submit_draft(db_session, w.staff, checker, w.rejected)
    review.reject(db_session, w.approver, w.rejected, SHORT + " xss-reason", expected_version=w.rejected.lock_version)
    create_token(db_session, None, w.staff, TOKEN_NAME)
    db_session.commit()
    assert w.pending.state == "pending" and w.returned.state == "returned" and w.rejected.state == "rejected"
    return w


def pages_showing(w: Any) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """role -> [(url, markers that must be in its text)]."""
    html, name, rtl = HTML_MARKERS, (SHORT_MARKER,), ("xss-rtl", "\u202e", "w" * 4000)
    return {
        "staff": [
            ("/", name),
            ("/inbox/", name),
            (f"/inbox/{w.account.id}", name + ('alert("xss-script")',)),
            (f"/inbox/{w.account.id}?answered=1", name),
            (f"/posts/{w.post.id}", html + name + rtl),
            (f"/drafts/{w.draft.id}", html + rtl),
            (f"/drafts/{w.draft.id}?from=2&to=1", html),
            (f"/drafts/{w.returned.id}", ("xss-comment", SHORT_MARKER) + rtl),
            (f"/drafts/{w.rejected.id}", ("xss-reason", SHORT_MARKER)),
            (f"/inbox/{w.account.id}/compose", name),
            ("/account/api-tokens", ('<script>alert("xss-token")</script>',)),
        ],
        "approver": [
            ("/review/", html[:1] + name),
            ("/review/?group=comms&decision=review", name),
            (f"/review/drafts/{w.pending.id}", html + name),
            (f"/review/drafts/{w.returned.id}", ("xss-comment",) + rtl),
            (f"/review/drafts/{w.rejected.id}", ("xss-reason",)),
            ("/review/response-times", name),
        ],
        "auditor": [
            ("/audit/", name),
            (f"/audit/?draft={w.pending.id}", ()),
            (f"/audit/drafts/{w.pending.id}", html),
            (f"/audit/drafts/{w.returned.id}", ("xss-comment",)),
            (f"/audit/drafts/{w.rejected.id}", ("xss-reason",)),
            ("/reports/", name),
            ("/review/response-times", name),
        ],
        "admin": [
            ("/admin/users", name),
            (f"/admin/users/{w.staff.id}", ()),
            ("/admin/groups", name),
            ("/admin/accounts/", name),
            (f"/admin/accounts/{w.account.id}", ()),
        ],
    }
