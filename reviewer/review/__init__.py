"""Review: the pure workflow (`workflow.py`), approvals and decisions (`services.py`),
queues (`queue.py`), response times (`stats.py`), and the approver pages (`views.py`).

Nothing is imported here, so `reviewer.review.workflow` stays cheap and pure
for the drafting services that use it.
"""
