"""hccreview.report package."""
