"""Typed access to the workstation's QSettings: window layout, last study, recent files, last patient per study.

Everything the GUI remembers between runs goes through :class:`AppSettings`, so that the keys, their types and
their defaults live in one place. The store carries a settings version; :meth:`AppSettings.migrate` upgrades
older layouts (and drops what it cannot read) so that a stale or damaged settings file never stops the start.

Study-keyed values (the last patient, the chosen best-response source) are stored under a short hash of the
study file's resolved path: QSettings treats ``/`` in keys as groups, and paths contain them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_VERSION = 1
MAX_RECENT = 8


def study_key(path: str | Path) -> str:
    """A stable, QSettings-safe key for a study file (16 hex digits of SHA-1 of its resolved path)."""
    resolved = str(Path(path).expanduser().resolve())
    return hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:16]


class AppSettings:
    """The workstation's remembered state, over one :class:`QSettings`.

    Use on the GUI thread only (QSettings is reentrant, but the values describe widgets). Pass a ``QSettings``
    to use another file (tests point the default one at a temporary folder instead).
    """

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.qs = qsettings if qsettings is not None else QSettings()
        self.migrate()

    # ------------------------------------------------------------------ version
    def migrate(self) -> None:
        """Bring an older settings layout up to :data:`SETTINGS_VERSION` (a newer or unreadable one is reset)."""
        version = self._int("meta/version", 0)
        if version == SETTINGS_VERSION:
            return
        if version > SETTINGS_VERSION or version < 0:
            self.qs.clear()  # written by a newer hccreview: start clean rather than misread it
        # version 0 -> 1: nothing to convert (the first layout); keep what is there
        self.qs.setValue("meta/version", SETTINGS_VERSION)

    @property
    def version(self) -> int:
        return self._int("meta/version", 0)

    # ------------------------------------------------------------------ studies
    @property
    def last_study(self) -> Path | None:
        text = self._str("study/last", "")
        return Path(text) if text else None

    @last_study.setter
    def last_study(self, path: str | Path | None) -> None:
        self.qs.setValue("study/last", str(Path(path).resolve()) if path else "")

    def recent_files(self) -> list[Path]:
        """Recently opened study files, newest first (at most :data:`MAX_RECENT`)."""
        raw = self._json("study/recent", [])
        paths = [Path(p) for p in raw if isinstance(p, str) and p] if isinstance(raw, list) else []
        return paths[:MAX_RECENT]

    def add_recent(self, path: str | Path) -> list[Path]:
        """Put ``path`` first in the recent files (deduplicated, capped); returns the new list."""
        resolved = Path(path).resolve()
        paths = [resolved] + [p for p in self.recent_files() if p != resolved]
        self._set_json("study/recent", [str(p) for p in paths[:MAX_RECENT]])
        return paths[:MAX_RECENT]

    def remove_recent(self, path: str | Path) -> None:
        target = Path(path).resolve()
        self._set_json("study/recent", [str(p) for p in self.recent_files() if p != target])

    def clear_recent(self) -> None:
        self._set_json("study/recent", [])

    # ------------------------------------------------------------------ per-study position
    def last_subject(self, study: str | Path) -> str | None:
        """The patient last selected in ``study`` (None if never)."""
        return self._str(f"subjects/{study_key(study)}", "") or None

    def set_last_subject(self, study: str | Path, subject_id: str | None) -> None:
        self.qs.setValue(f"subjects/{study_key(study)}", subject_id or "")

    def source(self, study: str | Path) -> str | None:
        """The best-response source last shown for ``study`` (None: the study's default)."""
        return self._str(f"sources/{study_key(study)}", "") or None

    def set_source(self, study: str | Path, source: str) -> None:
        self.qs.setValue(f"sources/{study_key(study)}", source)

    # ------------------------------------------------------------------ window and panels
    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)

    def clear_window_layout(self) -> None:
        self.qs.remove("window/geometry")
        self.qs.remove("window/state")

    def panel_state(self, panel: str) -> dict[str, Any]:
        """A panel's own saved state (filters and the like), as a JSON-able dict."""
        value = self._json(f"panels/{panel}", {})
        return value if isinstance(value, dict) else {}

    def set_panel_state(self, panel: str, state: dict[str, Any]) -> None:
        self._set_json(f"panels/{panel}", state)

    def header_state(self, panel: str) -> QByteArray | None:
        """A table header's saveState() bytes (column widths, order, sort)."""
        return self._bytes(f"headers/{panel}")

    def set_header_state(self, panel: str, state: QByteArray) -> None:
        self.qs.setValue(f"headers/{panel}", state)

    def sync(self) -> None:
        self.qs.sync()

    # ------------------------------------------------------------------ typed reads
    def _str(self, key: str, default: str) -> str:
        value = self.qs.value(key, default)
        return value if isinstance(value, str) else default

    def _int(self, key: str, default: int) -> int:
        value = self.qs.value(key, default)  # an int, or its text as read back from the settings file
        if not isinstance(value, int | float | str):
            return default
        try:
            return int(value)
        except ValueError:
            return default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.qs.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, bytes | bytearray) and value:
            return QByteArray(bytes(value))
        return None

    def _json(self, key: str, default: Any) -> Any:
        text = self._str(key, "")
        if not text:
            return default
        try:
            return json.loads(text)
        except ValueError:
            return default

    def _set_json(self, key: str, value: Any) -> None:
        self.qs.setValue(key, json.dumps(value))
