#!/usr/bin/env python3
"""alignkg's command line, run from a source checkout: ``python cli.py ...``.

The commands live in ``graph/cli.py``, which is installed as ``alignkg.cli``
(the ``alignkg`` console script and ``python -m alignkg`` run the same code).
"""

from alignkg.cli import main

if __name__ == "__main__":
    main()
