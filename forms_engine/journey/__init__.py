"""Journey navigation: pure functions over (definition, answers), tested without Flask."""

from .core import AnswerRow, CompiledPage, Journey, PageResult, SectionRows, Step, journey_for
from .repeats import RepeatSection

__all__ = [
    "AnswerRow",
    "CompiledPage",
    "Journey",
    "PageResult",
    "RepeatSection",
    "SectionRows",
    "Step",
    "journey_for",
]
