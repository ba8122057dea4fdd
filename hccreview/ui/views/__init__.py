"""hccreview.ui.views package."""
