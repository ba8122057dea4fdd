"""hccreview.io package."""
