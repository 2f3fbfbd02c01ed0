"""Notification delivery tasks (filled in below)."""
