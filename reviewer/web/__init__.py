"""Shared web glue: access declarations, error pages, template filters, security headers."""
