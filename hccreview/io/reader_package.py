"""The reader package file (``.hccr``): one reader's work carried from an offline workstation (issue 11).

A package is one JSON document written in canonical form (keys sorted, no whitespace, ASCII only) and ended
by a newline::

    {"content": {...}, "format": "hccreview-reader-package", "manifest": {...}, "sha256": "<hex>", "version": 1}

``sha256`` is the SHA-256 of the canonical JSON of the document without it, so a change anywhere — one flipped
byte in a value, the manifest or the hash itself — is detected; a file that is not byte-for-byte in canonical
form is refused as altered as well (no edit can slip through by re-formatting). Qt-free, no SQL: the services
build the content from the store and verify its meaning (right study, known user, consistent audit chain).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "hccreview-reader-package"
VERSION = 1
SUFFIX = ".hccr"


class PackageError(ValueError):
    """The file is not an intact reader package; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ReaderPackage:
    """A verified package: its manifest, its content and the SHA-256 that identifies it."""

    manifest: dict[str, Any]
    content: dict[str, Any]
    sha256: str


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value`` (what is hashed and what is written)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body).encode("ascii")).hexdigest()


def encode(manifest: dict[str, Any], content: dict[str, Any]) -> tuple[bytes, str]:
    """The bytes of a package file and its SHA-256."""
    body = {"format": FORMAT, "version": VERSION, "manifest": manifest, "content": content}
    sha = _digest(body)
    return (canonical({**body, "sha256": sha}) + "\n").encode("ascii"), sha


def write(path: str | Path, manifest: dict[str, Any], content: dict[str, Any]) -> str:
    """Write a package to ``path`` atomically (a temporary file renamed into place); returns its SHA-256."""
    path = Path(path)
    data, sha = encode(manifest, content)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        import os

        os.fsync(fh.fileno())
    tmp.replace(path)
    return sha


def decode(data: bytes, *, name: str = "package") -> ReaderPackage:
    """Parse and verify package bytes; :class:`PackageError` names what is wrong (nothing is trusted before)."""
    try:
        text = data.decode("ascii")
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{name}: not a reader package or damaged ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PackageError(f"{name}: not a hccreview reader package (field 'format')")
    if doc.get("version") != VERSION:
        raise PackageError(f"{name}: package version {doc.get('version')!r} is not supported (field 'version')")
    missing = [k for k in ("manifest", "content", "sha256") if k not in doc]
    if missing:
        raise PackageError(f"{name}: incomplete package (missing {', '.join(missing)})")
    body = {k: v for k, v in doc.items() if k != "sha256"}
    sha = _digest(body)
    if doc["sha256"] != sha:
        raise PackageError(f"{name}: the content does not match its SHA-256 (field 'sha256'): altered or damaged")
    if text != canonical(doc) + "\n":
        raise PackageError(f"{name}: the file is not in its written form (altered after export)")
    if not isinstance(doc["manifest"], dict) or not isinstance(doc["content"], dict):
        raise PackageError(f"{name}: malformed package (manifest / content)")
    return ReaderPackage(doc["manifest"], doc["content"], sha)


def read(path: str | Path) -> ReaderPackage:
    """Read and verify a package file (:class:`PackageError` for a damaged or altered one)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackageError(f"{path.name}: cannot read the package ({exc.strerror or exc})") from None
    return decode(data, name=path.name)
