"""The main window's actions in one table: text, shortcuts, icon, slot, tooltip.

Keyboard first: every action has at least one shortcut, shown in menus and tooltips. A slot names a function of
:mod:`hccreview.ui.window_actions` that is given the window (napari's declarative actions: the table is data, the
behaviour is plain functions), so the table can be read, tested and changed in one place. :func:`resolve_slots`,
called by the window before it builds anything, raises :class:`ActionSlotError` for a slot that does not
resolve: a misspelt slot stops the window from starting instead of leaving a menu item that does nothing.
Actions that Qt builds itself (undo / redo from the QUndoStack, dock toggles) are given their shortcuts by the
window, listed in :data:`EXTRA_SHORTCUTS` for reference. Marking reviewed is the
case view's (one button per case that knows the record kinds: ``CaseReviewStatus``); the Review menu shows its
menu.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from hccreview.domain.access import Access, Capability
from hccreview.domain.sources import Source
from hccreview.ui import window_actions

if TYPE_CHECKING:
    from hccreview.ui.main_window import MainWindow

SP = QStyle.StandardPixmap
Shortcut = str | QKeySequence.StandardKey
WindowAction = Callable[["MainWindow"], None]


class ActionSlotError(LookupError):
    """An action's slot names no function of :mod:`hccreview.ui.window_actions` (raised while the window builds)."""


@dataclass(frozen=True)
class ActionSpec:
    """One action: ``slot`` names a function of :mod:`hccreview.ui.window_actions` (it is given the window);
    ``enabled=False`` with ``tip`` explains why.

    ``needs``: the capability of the access policy (DESIGN §4b) the action needs; without it the action is left
    out of the menus and the toolbar altogether (absent, not disabled: its shortcut does nothing either).
    """

    name: str
    text: str
    shortcuts: tuple[Shortcut, ...]
    slot: str
    icon: QStyle.StandardPixmap | None = None
    tip: str = ""
    enabled: bool = True
    needs: Capability | None = None


ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec(
        "open",
        "&Open study…",
        (QKeySequence.StandardKey.Open,),
        "open_study_dialog",
        SP.SP_DialogOpenButton,
        "Open a study file",
    ),
    ActionSpec(
        "import",
        "&Import…",
        ("Ctrl+I",),
        "import_data",
        SP.SP_FileDialogNewFolder,
        "Import SDTM or CSV-bundle files into this study",
        needs=Capability.ADMINISTER,
    ),
    ActionSpec(
        "import_images",
        "Import ima&ges…",
        ("Ctrl+Alt+I",),
        "import_images",
        SP.SP_DirIcon,
        "Index a folder of DICOM images (CT, MR) into this study after a preview of how each series matches",
        needs=Capability.ADMINISTER,
    ),
    ActionSpec(
        "export_report",
        "&Export report…",
        ("Ctrl+E",),
        "export_report",
        SP.SP_DialogSaveButton,
        "Export the cohort summary or a meeting case packet as PDF",
        needs=Capability.SEE_COHORT,
    ),
    ActionSpec(
        "export_data",
        "Export &data…",
        ("Ctrl+Shift+E",),
        "export_data",
        SP.SP_DriveHDIcon,
        "Export the study's data as CDISC SDTM domains or a CSV bundle (adjudicator or admin)",
        needs=Capability.SEE_COHORT,
    ),
    ActionSpec(
        "import_reads",
        "Import &reads…",
        ("Ctrl+Shift+I",),
        "import_reads",
        SP.SP_ArrowDown,
        "Check a reader package (.hccr) from an offline reader, preview it and merge it into this study",
        needs=Capability.ADMINISTER,
    ),
    ActionSpec(
        "export_snapshot",
        "Export s&napshot for a reader…",
        ("Ctrl+Shift+N",),
        "export_snapshot",
        SP.SP_DriveFDIcon,
        "Write a blinded copy of the study for one reader's offline workstation",
        needs=Capability.ADMINISTER,
    ),
    ActionSpec(
        "export_reads",
        "Export &my reads…",
        ("Ctrl+Shift+X",),
        "export_reads",
        SP.SP_ArrowUp,
        "On a reader snapshot: write your reads since the snapshot as a package for the central review site",
        needs=Capability.READ,
    ),
    ActionSpec(
        "quit",
        "&Quit",
        (QKeySequence.StandardKey.Quit, "Ctrl+Q"),
        "quit_window",
        SP.SP_DialogCloseButton,
        "Quit hccreview",
    ),
    # Review
    ActionSpec(
        "next",
        "&Next patient",
        ("Ctrl+Right", "J"),
        "next_patient",
        SP.SP_ArrowForward,
        "Next patient in the navigator's order",
    ),
    ActionSpec(
        "previous",
        "&Previous patient",
        ("Ctrl+Left", "K"),
        "previous_patient",
        SP.SP_ArrowBack,
        "Previous patient in the navigator's order",
    ),
    ActionSpec(
        "next_unreviewed",
        "Next &unreviewed",
        ("Ctrl+U",),
        "next_unreviewed",
        SP.SP_MediaSkipForward,
        "Next patient not yet marked reviewed",
    ),
    ActionSpec(
        "next_changed",
        "Next c&hanged since review",
        ("Ctrl+Shift+G",),
        "next_changed",
        SP.SP_BrowserReload,
        "Next patient whose data changed (a transfer or an edit) after it was marked reviewed",
    ),
    ActionSpec(
        "next_discordant",
        "Next &discordant",
        ("Ctrl+D",),
        "next_discordant",
        SP.SP_MessageBoxWarning,
        "Next patient whose central readers disagree",
        needs=Capability.SEE_ADJUDICATION,
    ),
    ActionSpec(
        "focus_filter",
        "&Filter patients",
        (QKeySequence.StandardKey.Find,),
        "focus_filter",
        SP.SP_FileDialogContentsView,
        "Type to filter the navigator by patient id",
    ),
    ActionSpec(
        "clear_filters",
        "&Clear filters",
        ("Ctrl+Shift+F",),
        "clear_filters",
        SP.SP_DialogResetButton,
        "Show all patients",
    ),
    # View
    ActionSpec(
        "reset_layout",
        "&Reset layout",
        ("Ctrl+Shift+0",),
        "reset_layout",
        SP.SP_BrowserReload,
        "Put the panels back where they started",
    ),
    # Help
    ActionSpec(
        "about",
        "&About hccreview",
        (QKeySequence.StandardKey.HelpContents, "F1"),
        "show_about",
        SP.SP_MessageBoxInformation,
        "Version, study file and Qt version",
    ),
    # Central tabs, adjudication and meeting (review_tabs.py)
    ActionSpec("show_case", "&Case view", ("Ctrl+4",), "show_case", SP.SP_FileIcon, "Show the patient's case"),
    ActionSpec(
        "show_adjudication",
        "A&djudication",
        ("Ctrl+3",),
        "show_adjudication",
        SP.SP_FileDialogDetailedView,
        "Discordance queue and decisions",
        needs=Capability.SEE_ADJUDICATION,
    ),
    ActionSpec(
        "show_dashboard",
        "Cohort &dashboard",
        ("Ctrl+5",),
        "show_dashboard",
        SP.SP_FileDialogInfoView,
        "Live cohort statistics",
        needs=Capability.SEE_COHORT,
    ),
    ActionSpec(
        "next_open_case",
        "Next &open discordant case",
        ("Ctrl+Shift+D",),
        "next_open_case",
        SP.SP_MediaSkipForward,
        "Next case awaiting adjudication",
        needs=Capability.SEE_ADJUDICATION,
    ),
    ActionSpec(
        "sign_decision",
        "&Sign decision…",
        ("Ctrl+Shift+S",),
        "sign_decision",
        SP.SP_DialogApplyButton,
        "Sign the adjudication decision (password re-entry)",
        needs=Capability.DECIDE,
    ),
    ActionSpec(
        "meeting_mode",
        "&Meeting mode",
        ("Ctrl+Shift+M",),
        "open_meeting",
        SP.SP_TitleBarMaxButton,
        "Present the open discordant cases full screen with the impact of each choice",
        needs=Capability.SEE_ADJUDICATION,
    ),
    ActionSpec(
        "sign_in", "Sign &in as…", ("Ctrl+Shift+L",), "sign_in", SP.SP_DialogYesButton, "Sign in as another user"
    ),
    ActionSpec(
        "manage_users",
        "&Users…",
        ("Ctrl+Shift+U",),
        "manage_users",
        SP.SP_DirHomeIcon,
        "Add users, reset passwords (admin)",
        needs=Capability.ADMINISTER,
    ),
)

#: Shortcuts the window sets on actions Qt makes for it (for documentation and the tests).
EXTRA_SHORTCUTS: dict[str, tuple[str, ...]] = {
    "mark_kind_reviewed": ("Ctrl+Return",),
    "mark_patient_reviewed": ("Ctrl+Shift+Return",),
    "undo": ("Ctrl+Z",),
    "redo": ("Ctrl+Shift+Z", "Ctrl+Y"),
    "toggle_navigator": ("Ctrl+1",),
    "source_N": ("Alt+1", "Alt+2", "…"),
}

#: The menus the window fills from the table, in order: action names, None for a separator (absent actions leave
#: none behind); "@recent" is File ▸ Open Recent, "@mark" the case view's Mark reviewed menu (for who may mark).
FILE_MENU: tuple[str | None, ...] = (
    "open", "@recent", "import", "import_images", "export_report", "export_data", None, "import_reads",
    "export_snapshot", "export_reads", None, "sign_in", "manage_users", None, "quit",
)  # fmt: skip
REVIEW_MENU: tuple[str | None, ...] = (
    "previous", "next", "next_unreviewed", "next_changed", "next_discordant", None, "@mark", None, "show_case",
    "show_adjudication", "show_dashboard", "next_open_case", "sign_decision", "meeting_mode",
)  # fmt: skip
#: The toolbar, in order (None: a separator).
TOOLBAR: tuple[str | None, ...] = (
    "previous",
    "next",
    None,
    "next_unreviewed",
    "next_discordant",
)


def _sequences(shortcuts: tuple[Shortcut, ...]) -> list[QKeySequence]:
    out: list[QKeySequence] = []
    for item in shortcuts:
        if isinstance(item, QKeySequence.StandardKey):
            out.extend(QKeySequence.keyBindings(item))
        else:
            out.append(QKeySequence(item))
    seen: set[str] = set()
    unique = []
    for seq in out:
        key = seq.toString()
        if key and key not in seen:
            seen.add(key)
            unique.append(seq)
    return unique


def resolve_slot(spec: ActionSpec) -> WindowAction:
    """The function of :mod:`~hccreview.ui.window_actions` that ``spec`` names; :class:`ActionSlotError` when there
    is none (a misspelt or private name, something that is not a function of that module, or one that cannot be
    called with the window alone)."""
    slot = getattr(window_actions, spec.slot, None) if not spec.slot.startswith("_") else None
    if not inspect.isfunction(slot) or slot.__module__ != window_actions.__name__:
        raise ActionSlotError(f"action {spec.name!r}: no function {spec.slot!r} in {window_actions.__name__}")
    try:
        inspect.signature(slot).bind(None)
    except TypeError as exc:
        raise ActionSlotError(f"action {spec.name!r}: {spec.slot}() must take the window alone ({exc})") from None
    return slot


def make_action(window: MainWindow, spec: ActionSpec, slot: WindowAction, style: QStyle | None = None) -> QAction:
    """One QAction from ``spec``, triggered → ``slot(window)``; the tooltip names the shortcut."""
    action = QAction(spec.text, window)
    action.setObjectName(f"action_{spec.name}")
    sequences = _sequences(spec.shortcuts)
    action.setShortcuts(sequences)
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if spec.icon is not None and style is not None:
        action.setIcon(style.standardIcon(spec.icon))
    keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)
    plain = spec.text.replace("&", "").rstrip("…")
    tip = spec.tip or plain
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.setStatusTip(tip)
    action.setEnabled(spec.enabled)
    action.triggered.connect(lambda _checked=False: slot(window))
    return action


def resolve_slots() -> dict[str, WindowAction]:
    """Every action's slot function, by action name; :class:`ActionSlotError` naming every action whose slot does
    not resolve. The window calls it first thing, before it creates any Qt object."""
    slots: dict[str, WindowAction] = {}
    problems: list[str] = []
    for spec in ACTIONS:
        try:
            slots[spec.name] = resolve_slot(spec)
        except ActionSlotError as exc:
            problems.append(str(exc))
    if problems:
        raise ActionSlotError("; ".join(problems))
    return slots


def build_actions(window: MainWindow, slots: dict[str, WindowAction]) -> dict[str, QAction]:
    """Every action of :data:`ACTIONS`, keyed by name, parented to ``window``, calling its slot (from
    :func:`resolve_slots`) with the window."""
    style = window.style()
    return {spec.name: make_action(window, spec, slots[spec.name], style) for spec in ACTIONS}


def permitted(access: Access) -> frozenset[str]:
    """The names of the actions of :data:`ACTIONS` that ``access`` may use (the others are left out)."""
    return frozenset(spec.name for spec in ACTIONS if spec.needs is None or access.may(spec.needs))


# ---------------------------------------------------------------------- actions made from data at run time


def source_menu_text(source: str) -> str:
    """Menu text for a best-response source (View ▸ Best response source): its ``Source.label`` with an accelerator
    on the first letter of the study-wide sources (readers share theirs: Alt+N picks any)."""
    parsed = Source.parse(source)
    return parsed.label() if parsed.reader is not None else f"&{parsed.label()}"


def make_source_actions(
    owner: QObject, sources: list[str], current: str, on_choose: Callable[[str], None]
) -> list[QAction]:
    """One checkable action per source, Alt+1 … Alt+9, ``current`` checked."""
    actions = []
    for i, source in enumerate(sources):
        action = QAction(source_menu_text(source), owner, checkable=True)
        action.setObjectName(f"source_{source}")
        action.setData(source)
        if i < 9:
            action.setShortcut(QKeySequence(f"Alt+{i + 1}"))
        action.setChecked(source == current)
        action.triggered.connect(lambda _checked=False, s=source: on_choose(s))
        actions.append(action)
    return actions


def fill_menu(
    menu: QMenu | QToolBar,
    names: tuple[str | None, ...],
    actions: dict[str, QAction],
    allowed: frozenset[str],
    submenus: dict[str, QMenu] | None = None,
) -> None:
    """(Re)fill ``menu`` (or a toolbar) with the actions ``names`` lists that are ``allowed``, and the "@…"
    sub-menus given in ``submenus`` (one not given is left out). A separator stands only between two entries:
    absent actions leave none at either end and never two in a row."""
    menu.clear()
    pending_separator = False
    for name in names:
        if name is None:
            pending_separator = bool(menu.actions())
            continue
        if name not in allowed and name not in (submenus or {}):
            continue
        if pending_separator:
            menu.addSeparator()
            pending_separator = False
        if name.startswith("@"):
            menu.addAction((submenus or {})[name].menuAction())
        else:
            menu.addAction(actions[name])


def decorate_undo_actions(undo: QAction, redo: QAction, style: QStyle) -> None:
    """Names, shortcuts and icons for the QUndoStack's own undo / redo actions."""
    undo.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    undo.setObjectName("action_undo")
    redo.setObjectName("action_redo")
    undo.setIcon(style.standardIcon(SP.SP_ArrowBack))
    redo.setIcon(style.standardIcon(SP.SP_ArrowForward))


def fill_recent_menu(
    menu: QMenu, paths: list[Path], on_open: Callable[[str], None], on_clear: Callable[[], None]
) -> None:
    """File ▸ Open Recent: numbered entries (Ctrl+Alt+1 …), then "Clear list"."""
    menu.clear()
    for i, path in enumerate(paths):
        action = menu.addAction(f"&{i + 1} {path.name} — {path.parent}")
        action.setShortcut(QKeySequence(f"Ctrl+Alt+{i + 1}"))
        action.triggered.connect(lambda _checked=False, p=str(path): on_open(p))
    if not paths:
        menu.addAction("(no recent studies)").setEnabled(False)
    menu.addSeparator()
    menu.addAction("&Clear list", on_clear)
