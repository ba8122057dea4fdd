"""hccreview.services package."""
