"""cruddur.status - the status codes every call ends with, and the error a failed call raises.

Status mirrors client/include/cruddur/status.h (CRUDDUR_OK ... CRUDDUR_UNAUTHENTICATED, the gRPC
numbers), which travel on the wire as cruddur.v1.StatusCode (proto/cruddur/v1/rpc.proto);
tests/unit/python_client_test.py checks the three agree. CruddurError is raised for every status but OK, whether
the server sent it or the client found it (no server reachable, no reply in time, ...), as
libcruddur returns both kinds through one cruddur_status.

No state, no locks.
"""
import enum

__all__ = ["Status", "CruddurError"]


class Status(enum.IntEnum):
    """A cruddur status: the name and number of a gRPC status code."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


def status_of(number):
    """The Status of a number off the wire; a number outside the enum stays an int (a newer
    server's code is kept, not turned into UNKNOWN)."""
    try:
        return Status(number)
    except ValueError:
        return int(number)


def status_name(code):
    """cruddur_status_name: the upper-case name, "UNKNOWN" outside the enum."""
    return code.name if isinstance(code, Status) else "UNKNOWN"


class CruddurError(Exception):
    """A call that did not end OK.

    code        the Status (an int when the server sent a number this client does not know)
    message     why, for humans: the server's message, or the client's own for failures that
                never reached a server; never empty
    request_id  the request_id the call carried (it is in the server's log), or None when the
                call never got that far
    not_run     the server refused the request before any of it ran (ResponseEnvelope
                not_run: it is shutting down), so it may be sent again, to any server
    """

    def __init__(self, code, message="", request_id=None, not_run=False):
        self.code = status_of(code)
        self.message = message or status_name(self.code)
        self.request_id = request_id
        self.not_run = bool(not_run)
        super().__init__(self.code, self.message)

    def __str__(self):
        return "%s: %s" % (status_name(self.code), self.message)

    def __repr__(self):
        return "CruddurError(%s, %r)" % (status_name(self.code), self.message)

    def __reduce__(self):
        return (CruddurError, (int(self.code), self.message, self.request_id, self.not_run))
