"""Where uploaded files' bytes are kept, behind one small interface.

`LocalFileStore` keeps them in a folder outside the web root (by default `instance/uploads/`).
`DatabaseFileStore` keeps them in the `file_blobs` table, for several app instances sharing one
PostgreSQL database. Choose with the FILE_STORE setting (`local` or `database`).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete

from ..extensions import db
from ..submissions.models import FileBlob

#: Keys are made here: random hex, so they can never name a path outside the store.
_KEY = re.compile(r"^[0-9a-f]{32,64}$")


class FileNotStored(KeyError):
    """No file is stored under the key."""


def new_key() -> str:
    """A fresh storage key (random, unguessable, safe as a file name)."""
    return secrets.token_hex(32)


def _check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class FileStore(Protocol):
    """Keeps file bytes by key. `put` and `delete` on the database store join the caller's
    transaction; on the local store they take effect at once."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalFileStore:
    """Files in a folder: `<root>/<first two characters of the key>/<key>`, readable by this user only."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        _check_key(key)
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written under a temporary name and renamed, so a reader never sees half a file.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise FileNotStored(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class DatabaseFileStore:
    """Files as rows of `file_blobs`, in the current database session."""

    def put(self, key: str, data: bytes) -> None:
        db.session.add(FileBlob(storage_key=_check_key(key), data=data))
        db.session.flush()

    def get(self, key: str) -> bytes:
        blob = db.session.get(FileBlob, _check_key(key))
        if blob is None:
            raise FileNotStored(key)
        return bytes(blob.data)

    def delete(self, key: str) -> None:
        db.session.execute(delete(FileBlob).where(FileBlob.storage_key == _check_key(key)))


def store_from_config(config: Mapping[str, Any]) -> FileStore:
    """The file store the configuration asks for (FILE_STORE, FILE_STORE_DIR)."""
    kind = config.get("FILE_STORE", "local")
    if kind == "local":
        return LocalFileStore(config["FILE_STORE_DIR"])
    if kind == "database":
        return DatabaseFileStore()
    raise ValueError(f"FILE_STORE must be 'local' or 'database', not {kind!r}")
