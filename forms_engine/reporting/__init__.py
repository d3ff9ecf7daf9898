"""Conversion progress: the paper-form register, what counts as replaced, and the measures reported
against the target (share of paper forms replaced, take-up, completion, satisfaction)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the reporting screens (each part of the area adds its blueprint here)."""
    from . import views

    views.init_app(app)

    from . import views_admin  # the register and paper-count screens

    views_admin.init_app(app)
