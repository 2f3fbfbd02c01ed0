"""Shared web glue: access declarations, error pages, template filters, security headers."""


def checker():  # the import stays lazy so this package stays cheap to import
    """The app's Checker (policy + toxicity scorer), built once at start-up by create_app."""
    from flask import current_app

    from reviewer.checking import EXTENSION_KEY

    return current_app.extensions[EXTENSION_KEY]
