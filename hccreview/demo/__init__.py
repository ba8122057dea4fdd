"""hccreview.demo package."""
