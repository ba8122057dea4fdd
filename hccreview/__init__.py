"""hccreview: case-review workstation for oncology clinical trials."""

__version__ = "0.1.0"
