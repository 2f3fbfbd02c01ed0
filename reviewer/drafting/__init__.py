"""Drafting: inbound public posts (form, CSV/JSON Lines import), drafts and their versions, the inbox.

Services live in `services.py` (drafts), `inbound.py` (posts, the inbox) and `importing.py` (uploads);
the staff pages in `views.py`. Drafting never imports review's models or
services; both follow the pure state machine in `reviewer.review.workflow`.
"""
