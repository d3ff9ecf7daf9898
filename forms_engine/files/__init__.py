"""Uploaded files: what a file is by its content, where its bytes are kept, and the virus-scan hook.

Nothing here knows about Flask requests; `storage.DatabaseFileStore` is the only part that uses the
database.
"""
