"""A path typed or chosen: the form row the import and export dialogs share for a folder or a file — a label that
gives the line edit its Alt key, the line edit taking the width, the button(s) that choose beside it."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


def path_row(text: str, edit: QLineEdit, *buttons: QPushButton) -> tuple[QLabel, QHBoxLayout]:
    """``(label, row)`` for ``QFormLayout.addRow``: the label's "&" picks ``edit`` (a row of a layout gets a label
    without buddy, so "&" would show literally)."""
    label = QLabel(text)
    label.setBuddy(edit)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    for button in buttons:
        row.addWidget(button)
    return label, row


def choose_folder(parent: QWidget, caption: str, edit: QLineEdit) -> None:
    """Let the user pick a folder, starting at the one typed; the choice replaces the text (Cancel keeps it)."""
    chosen = QFileDialog.getExistingDirectory(parent, caption, edit.text())
    if chosen:
        edit.setText(chosen)
