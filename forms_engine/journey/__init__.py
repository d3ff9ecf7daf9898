"""Journey navigation: pure functions over (definition, answers), tested without Flask."""

from .core import AnswerRow, CompiledPage, Journey, PageResult, SectionRows, journey_for

__all__ = ["AnswerRow", "CompiledPage", "Journey", "PageResult", "SectionRows", "journey_for"]
