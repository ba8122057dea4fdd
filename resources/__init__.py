"""Resource files of hccreview (CTCAE table, templates, icons, stylesheet), read via importlib.resources."""
