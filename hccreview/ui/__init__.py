"""hccreview.ui package."""
