"""Importers: draft native form definitions from other formats, with a report of what needs a
designer's eye (anything that could not be carried over)."""
