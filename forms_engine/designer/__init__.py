"""Designer tooling: scaffolding, lint rules, the journey map, the designer pages and preview, and
importers that draft native definitions from Defra Forms definitions and fillable PDFs."""
