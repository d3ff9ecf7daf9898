"""Component types: one handler per JSON type, registered by importing its module."""

from . import address, choices, content, dates, text
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
    "handler_for",
    "text",
]
