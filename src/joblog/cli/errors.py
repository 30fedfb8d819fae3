"""
Errors of the ``joblog`` command, and how a query error points at its column.
"""

from __future__ import annotations

__all__ = ["CLIError", "QueryError"]


class CLIError(Exception):
    """
    A failure the command reports in one line and exit status 2.

    A missing file, an unreadable one, a bad ``--since``: anything the user
    fixes by changing the command line.
    """


class QueryError(CLIError):
    """
    A malformed query, with the offset of the offending character.

    Args:
        message: what is wrong, in the user's terms.
        pos: the offset into the query text where it went wrong.
    """

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def render(self, query: str) -> str:
        """
        Return the message, the offending line of *query* and a caret under the column.

        Tabs before the column are kept in the caret line so the caret lines
        up in a terminal; a multi-line query shows only the offending line.
        """
        pos = max(0, min(self.pos, len(query)))
        start = query.rfind("\n", 0, pos) + 1
        end = query.find("\n", pos)
        line = query[start : len(query) if end < 0 else end]
        lineno = query.count("\n", 0, pos) + 1
        column = pos - start
        pad = "".join("\t" if ch == "\t" else " " for ch in line[:column])
        return (
            f"query error at line {lineno}, column {column + 1}: {self.message}\n  {line}\n  {pad}^"
        )
