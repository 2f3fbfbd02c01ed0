"""as_loaded: an object from a row written with Core, holding its values as a load would (no history)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached

from reviewer.orm import as_loaded
from reviewer.drafting.models import Draft


def test_the_values_are_set_with_no_pending_change() -> None:
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    values = {"id": 7, "account_id": 1, "author_id": 2, "state": "approved", "routes": ["legal"], "lock_version": 1,
              "created_at": now}
    draft = as_loaded(Draft, values)
    state = inspect(draft)
    assert state.transient
    assert (draft.id, draft.state, draft.routes, draft.created_at) == (7, "approved", ["legal"], now)
    assert not any(state.attrs[key].history.has_changes() for key in values)
    make_transient_to_detached(draft)
    assert state.detached and state.identity == (7,)
    assert not inspect(draft).modified


def test_it_is_the_same_object_a_constructor_makes() -> None:
    made, loaded = Draft(state="draft", lock_version=1), as_loaded(Draft, {"state": "draft", "lock_version": 1})
    assert type(made) is type(loaded) is Draft
    assert (loaded.state, loaded.lock_version) == (made.state, made.lock_version)
    assert inspect(made).attrs.state.history.has_changes() and not inspect(loaded).attrs.state.history.has_changes()
