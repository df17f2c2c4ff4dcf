#!/usr/bin/env python3
"""alignkg's command line, run from a source checkout: ``python cli.py ...``.

The commands live in ``graph/cli.py``, which is installed as ``alignkg.cli``; a plain
``query`` or ``sparql`` command line is read by its fast lane, ``graph/fastcli.py``, without
click (the ``alignkg`` console script and ``python -m alignkg`` run the same code).
"""

from alignkg.fastcli import main

if __name__ == "__main__":
    main()
