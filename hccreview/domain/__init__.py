"""hccreview.domain package."""
