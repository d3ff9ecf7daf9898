"""The form definition language: schema, model and loader. Imports nothing from Flask."""
