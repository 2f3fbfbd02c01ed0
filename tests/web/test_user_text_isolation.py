"""Direction controls in user text stay inside it, on the pages and in the PDF report."""

from __future__ import annotations

from reviewer.bidi import FIRST_STRONG_ISOLATE as FSI
from reviewer.bidi import POP_DIRECTIONAL_ISOLATE as PDI

RLO = "\u202e"


def test_a_display_name_with_an_override_is_isolated_on_the_page(client, make_user, login) -> None:
    user = make_user("mallory", display_name=f"Mallory{RLO}")
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    assert f"Welcome, {FSI}Mallory{RLO}{PDI}</h1>" in page
    assert f"Mallory{RLO}<" not in page  # nowhere is the override left open


def test_the_report_template_isolates_user_text_too() -> None:
    from reviewer.reports.pdf import _environment

    rendered = _environment().from_string("<td>{{ handle }}</td><td>{{ count }}</td>").render(handle=f"@x{RLO}<b>", count=3)
    assert rendered == f"<td>{FSI}@x{RLO}&lt;b&gt;{PDI}</td><td>3</td>"


def test_a_drafts_own_text_is_shown_as_written_inside_its_block(client, make_user, make_account, login) -> None:
    """The highlighted text keeps its controls (the block ends them) so the approver sees what will be posted."""
    account = make_account()
    user = make_user("mallory", display_name=f"Mallory{RLO}")
    login(client, user)
    response = client.post(f"/inbox/{account.id}/compose", data={"text": f"Thanks {RLO}for asking", "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Thanks {RLO}for asking" in page and f"{FSI}Thanks" not in page
    assert f"Draft 1 by {FSI}Mallory{RLO}{PDI} for" in page
