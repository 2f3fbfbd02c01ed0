"""Shared web glue: access declarations, error pages, template filters, security headers."""


def checker():  # the import stays lazy so this package stays cheap to import
    """The app's Checker (policy + toxicity scorer), built once at start-up by create_app."""
    from flask import current_app

    from reviewer.checking import EXTENSION_KEY

    return current_app.extensions[EXTENSION_KEY]


def signed_in_user():
    """The signed-in user itself (not flask-login's proxy): the actor a view hands to the services."""
    from flask_login import current_user

    return current_user._get_current_object()
