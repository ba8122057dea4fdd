"""hccreview.ui.models package."""
