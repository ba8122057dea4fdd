"""PyInstaller entry script: runs ``hccreview.__main__.main``.

A separate file rather than ``hccreview/__main__.py`` itself: PyInstaller puts the entry script's folder on the
module search path, and ``hccreview/`` holds an ``io`` package that would then shadow the standard library's ``io``.
"""

import sys

from hccreview.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
