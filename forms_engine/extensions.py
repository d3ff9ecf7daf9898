"""Flask extensions, created here and bound to an app in `create_app`."""

from __future__ import annotations

from functools import cached_property

from babel.support import NullTranslations
from flask_babel import Babel, Domain, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from . import i18n


class Base(DeclarativeBase):
    pass


class CatalogueDomain(Domain):
    """flask-babel's translations, taken from the same catalogues as `i18n.translate` (read from
    the .po files once), so templates and components can never disagree."""

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        return i18n.translations(str(locale) if locale is not None else i18n.DEFAULT_LANGUAGE)


class CatalogueBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogueDomain()


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = CatalogueBabel()
#: Rate limits (caseworker sign-in); counters kept where RATELIMIT_STORAGE_URI says.
limiter = Limiter(key_func=get_remote_address)
