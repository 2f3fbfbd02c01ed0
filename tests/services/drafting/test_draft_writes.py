"""The fast write paths of a new draft and its submission store exactly what the unit of work would.

create_draft writes the draft and its first version with Core INSERTs and
attaches them as loaded objects; submit_draft writes the draft with one
UPDATE that checks lock_version. These tests hold them to the rows in the
database, the optimistic lock and the number of statements (SQLite and
PostgreSQL).
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, inspect, select, update

from fixtures_workflow import CLEAN_TEXT, REVIEW_TEXT
from reviewer.db import get_database
from reviewer.drafting import services as drafting
from reviewer.drafting.models import Draft, DraftVersion
from reviewer.review.models import ReviewAction
from reviewer.review.steps import write_draft
from reviewer.review.submitting import submit_draft
from reviewer.review.workflow import ConflictError


def columns(obj: object) -> dict:
    """Every column attribute of a mapped object, as the object holds it."""
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


@pytest.fixture
def statements(app) -> list[str]:
    """The SQL statements the app's engine runs (first word), from when the fixture is used."""
    seen: list[str] = []
    engine = get_database(app).engine

    def listen(conn, cursor, statement, *args) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


def test_a_new_draft_is_stored_as_its_objects_say(app, db_session, make_account, make_user, make_inbound, checker) -> None:
    account = make_account()
    staff = make_user(roles=["staff"])
    post = make_inbound(account)
    with get_database(app).sessions() as session:
        draft = drafting.create_draft(session, session.merge(staff), checker, session.merge(account), REVIEW_TEXT,
                                      inbound=session.merge(post))
        state = inspect(draft)
        assert state.persistent and not session.is_modified(draft) and not state.expired_attributes
        assert [v.number for v in draft.versions] == [1] and draft.versions[0].draft is draft
        assert draft.inbound.id == post.id and draft.account.id == account.id
        held = columns(draft), columns(draft.current_version)
        session.commit()
    db_session.rollback()
    stored = db_session.get(Draft, held[0]["id"])
    assert columns(stored) == held[0]
    assert columns(db_session.get(DraftVersion, held[1]["id"])) == held[1]
    assert (stored.state, stored.lock_version, stored.routes, stored.inbound_post_id) == ("draft", 1, ["comms"], post.id)


def test_create_and_submit_take_no_selects_once_the_lock_is_held(app, make_account, make_user, checker, statements) -> None:
    """What POST /api/v1/drafts writes: drafts, versions, four events with references, the history step."""
    account, staff = make_account(), make_user(roles=["staff"])
    with get_database(app).sessions() as session:
        staff, account = session.merge(staff), session.merge(account)
        account.drafting_groups, staff.role_rows, staff.groups  # noqa: B018 -- loaded before counting, as the API view has them
        session.connection()
        statements.clear()
        draft = drafting.create_draft(session, staff, checker, account, CLEAN_TEXT)
        submit_draft(session, staff, checker, draft)
        session.commit()
    writes = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert not [s for s in writes if s.startswith("SELECT")], writes
    assert writes.count("INSERT INTO AUDIT_EVENTS") == 2 and writes.count("INSERT INTO AUDIT_REFS") == 2
    assert len(writes) == 11, writes  # drafts, version, claim, events, refs, head, update draft, action, events, refs, head


def test_submit_stores_the_state_and_bumps_the_lock(app, db_session, make_account, make_user, checker) -> None:
    account, staff = make_account(), make_user(roles=["staff"])
    with get_database(app).sessions() as session:
        draft = drafting.create_draft(session, session.merge(staff), checker, session.merge(account), REVIEW_TEXT)
        submit_draft(session, draft.author, checker, draft)
        assert not session.is_modified(draft)
        held = columns(draft)
        session.commit()
    db_session.rollback()
    stored = db_session.get(Draft, held["id"])
    assert columns(stored) == held
    assert (stored.state, stored.lock_version, stored.routes) == ("pending", 2, ["comms"])
    assert stored.submitted_at is not None and stored.approved_at is None
    steps = db_session.scalars(select(ReviewAction.action).where(ReviewAction.draft_id == stored.id)).all()
    assert steps == ["submit"]


def test_a_passing_submission_answers_the_post(app, db_session, make_account, make_user, make_inbound, checker) -> None:
    account, staff = make_account(), make_user(roles=["staff"])
    post = make_inbound(account)
    with get_database(app).sessions() as session:
        draft = drafting.create_draft(session, session.merge(staff), checker, session.merge(account), CLEAN_TEXT,
                                      inbound=session.merge(post))
        submit_draft(session, draft.author, checker, draft)
        session.commit()
        approved_at = draft.approved_at
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Draft, draft.id).state == "approved"
    assert db_session.get(type(post), post.id).answered_at == approved_at


def test_submit_loses_to_a_change_it_did_not_see(app, make_draft, checker) -> None:
    """The UPDATE names the lock_version this session loaded: a row changed since then is a conflict."""
    made = make_draft(state="draft", text=CLEAN_TEXT)
    with get_database(app).sessions() as session:
        draft = session.get(Draft, made.id)
        session.merge(made.test_author)
        session.execute(update(Draft).where(Draft.id == draft.id).values(lock_version=Draft.lock_version + 1)
                        .execution_options(synchronize_session=False))  # another writer, as the row sees it
        with pytest.raises(ConflictError):
            write_draft(session, draft, {"state": "pending"})
        session.rollback()


def test_a_draft_with_pending_changes_goes_through_the_unit_of_work(app, db_session, make_draft) -> None:
    made = make_draft(state="draft", text=CLEAN_TEXT)
    with get_database(app).sessions() as session:
        draft = session.get(Draft, made.id)
        draft.decision = "review"  # pending, not yet flushed
        write_draft(session, draft, {"state": "pending"})
        assert not session.is_modified(draft) and draft.lock_version == 2
        session.commit()
    db_session.rollback()
    stored = db_session.get(Draft, made.id)
    assert (stored.state, stored.decision, stored.lock_version) == ("pending", "review", 2)


def test_a_column_with_a_default_must_be_given(app, make_user) -> None:
    staff = make_user(roles=["staff"])
    with get_database(app).sessions() as session:
        with pytest.raises(TypeError, match="drafts: give state"):
            drafting._insert_row(session, Draft, {"account_id": 1, "author_id": staff.id, "decision": "pass",
                                                  "routes": [], "approvals_required": 1, "created_at": None,
                                                  "updated_at": None, "lock_version": 1})
        session.rollback()
