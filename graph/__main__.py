"""``python -m alignkg``: the command line."""

from .fastcli import main

if __name__ == "__main__":
    main()
