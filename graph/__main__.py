"""``python -m alignkg``: the command line."""

from .cli import main

main()
