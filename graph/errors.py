"""Exceptions of the package. The CLI turns each into one line on stderr and exit code 2."""


class AlignKGError(Exception):
    """Base class: bad input from the user (a name, a file, a query, an option)."""

    exit_code = 2


class DataError(AlignKGError):
    """An input file that cannot be read or parsed; the message names file and line."""


class NameNotFound(AlignKGError):
    """A NAME that matches no entity; the message lists the closest matches."""

    def __init__(self, name, suggestions=()):
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown name {name!r}{hint}")


class AmbiguousName(AlignKGError):
    """A NAME that matches more than one entity; the message lists them."""

    def __init__(self, name, candidates):
        self.name = name
        self.candidates = list(candidates)
        super().__init__(
            f"ambiguous name {name!r}: it matches {', '.join(self.candidates)}; "
            "use a full label, a prefixed name or an IRI"
        )


class QueryError(AlignKGError):
    """A SPARQL query that is malformed or not allowed."""


class OutputError(AlignKGError):
    """An output path that cannot be written."""
