"""What the outbox adds to the transaction of the change it follows: a fixed number of statements, whatever
the number of people and webhooks (the write lock is held meanwhile, so this is the request's cost)."""

from __future__ import annotations

from sqlalchemy import event

from reviewer.db import get_database


def test_routing_a_draft_to_a_group_costs_three_statements(app, make_user, make_draft) -> None:
    from reviewer.notify import outbox

    for name in ("ana", "ben", "cat", "dan"):
        make_user(name, roles=["approver"], groups=["comms"], email=f"{name}@council.example")
    draft = make_draft("pending")
    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    engine = get_database(app).engine
    with get_database(app).sessions() as session:
        draft = session.merge(draft)
        draft.account, draft.author, draft.current_version  # noqa: B018 -- loaded, as the submit has them
        session.connection()
        event.listen(engine, "before_cursor_execute", listen)
        try:
            rows = outbox.draft_routed(session, None, draft, ["comms"])
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        session.rollback()
    assert len(rows) == 4 * 2 + 3  # a page row and an email each, three webhooks
    assert [s.split()[0] for s in seen] == ["SELECT", "SELECT", "INSERT"], seen  # members, their choices, the rows
