"""Evidence archive: every HTTP response, content-addressed by sha256, gzip-compressed.

A stored response is one gzip file ``<sha[:2]>/<sha>.gz`` holding a JSON envelope line
(status, headers) and then the raw body. The sha256 is taken over exactly those bytes, so
the same response (same status, headers and body) is stored once; the URL and fetch time of
every fetch are recorded in the store's ``fetches`` table, which points here.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ArchivedResponse:
    """A response read back from the archive."""

    sha256: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def envelope(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """The canonical byte form of a response that is hashed and stored."""
    head = json.dumps({"status": status, "headers": headers}, ensure_ascii=False)
    return head.encode("utf-8") + b"\n" + body


class Archive:
    """A folder of compressed responses, owner-only (0700 folders, 0600 files)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, status: int, headers: list[tuple[str, str]], body: bytes) -> str:
        """Store a response (idempotent) and return its sha256."""
        blob = envelope(status, headers, body)
        digest = hashlib.sha256(blob).hexdigest()
        path = self.path_of(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        # Write to a temporary name and rename: a crash never leaves a truncated file
        # under the final (content-addressed) name.
        # Process and thread in the name: two threads (the scheduler's worker and the
        # dashboard's "run now") may store the same bytes at the same moment.
        tmp = path.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(blob)
        os.replace(tmp, path)
        return digest

    def remove_stale_temporaries(self, older_than_seconds: float = 3600.0) -> int:
        """Delete temporary files a killed process left between writing and renaming (no
        data is lost: the final name is only ever complete). Only files older than
        ``older_than_seconds`` go, so a write in progress elsewhere is never touched.
        Returns how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for tmp in self.root.glob("*/*.tmp*"):
            try:
                if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:  # renamed or removed meanwhile
                continue
        return removed

    def get(self, digest: str) -> ArchivedResponse:
        """Read a stored response back; KeyError if it is not here."""
        path = self.path_of(digest)
        if not path.exists():
            raise KeyError(digest)
        blob = gzip.decompress(path.read_bytes())
        head, _, body = blob.partition(b"\n")
        meta = json.loads(head)
        return ArchivedResponse(
            digest, int(meta["status"]), [tuple(h) for h in meta["headers"]], body
        )

    def path_of(self, digest: str) -> Path:
        """Where a response with this sha256 lives."""
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a sha256 hex digest: {digest!r}")
        return self.root / digest[:2] / f"{digest}.gz"
