"""The caseworker area's landing page. A placeholder ("Signed in as …") until the caseworker screens
replace its content: keep it to this one small view so they can."""

from __future__ import annotations

from flask import render_template

from . import auth, bp


@bp.get("/")
@auth.login_required()
def home() -> str:
    user = auth.current_user()
    return render_template("caseworker/home.html", page_title="Caseworking", user=user)
