"""Notifications: a transactional outbox delivered by the job queue over email and webhooks."""
