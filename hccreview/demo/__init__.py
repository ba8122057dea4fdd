"""The seeded simulator of the built-in demo study (DESIGN §5): see ``hccreview.demo.simulate``.

Imports nothing at package level, so that ``import hccreview.demo`` stays cheap.
"""
