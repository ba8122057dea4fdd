"""hccreview.ui.dialogs package."""
