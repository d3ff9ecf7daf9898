"""Component types: one handler per JSON type, registered by importing its module."""

from . import address, choices, content, dates, files, text
from .base import REGISTRY, ComponentHandler, FieldError, FieldView, LiteralView, handler_for

__all__ = [
    "REGISTRY",
    "ComponentHandler",
    "FieldError",
    "FieldView",
    "LiteralView",
    "address",
    "choices",
    "content",
    "dates",
    "files",
    "handler_for",
    "text",
]
