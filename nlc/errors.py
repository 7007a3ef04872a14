"""One exception hierarchy for the whole toolkit.

Every error a user can cause (bad audio, a malformed CSV, a broken submission) is an
:class:`NLCError`. The CLI prints such errors as one line naming the culprit and exits
with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class NLCError(Exception):
    """Base class of every user-facing error raised by nlc-bench."""


class AudioError(NLCError):
    """Audio that cannot be used: unreadable, empty, silent, too short or too long."""


class InputError(NLCError, ValueError):
    """A malformed input file or argument (CSV, JSON, folder layout, an out-of-range value).

    Also a :class:`ValueError`, the exception Python code expects for a bad value, so a
    caller that already catches ``ValueError`` keeps working."""


class ExtractionError(NLCError):
    """A song from which no loops can be extracted (no stable beat, too few bars...)."""


class SubmissionError(NLCError):
    """A submitted model that breaks the protocol (missing function, bad shape, NaN...)."""


class SubmissionRaised(SubmissionError):
    """A submission's own function raised in another process (the sandbox).

    Carries the exception's type name and message, so that the harness reports it exactly as
    it reports an exception raised in its own process."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"raised {type_name}: {message}".rstrip(": "))
        self.type_name, self.message = type_name, message


class IntegrityError(NLCError):
    """Data whose recorded hash or fingerprint does not match its content."""
