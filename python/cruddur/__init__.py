"""cruddur - call a cruddurd server from Python.

    import cruddur
    with cruddur.Client("tcp://127.0.0.1:7432") as client:
        feed = client.activities.home_feed(limit=20, deadline_ms=2000)
        for a in feed.activities:
            print(a.handle, a.message)

The services and their methods come from the descriptors of proto/cruddur/v1/*.proto
(cruddur.methods); the messages are in cruddur.v1 (cruddur.v1.activities_pb2.HomeFeedRequest,
...). A call that does not end OK raises CruddurError, whose code is a Status. The wire is
nng's SP framing (cruddur.wire), spoken with the standard library's sockets: no nng binding.
Standard library plus python3-protobuf (3.21, Debian 12's) only.
"""
from .client import (DEFAULT_DEADLINE_MS, MAX_DEADLINE_MS, MAX_REQUEST_BYTES,
                     NOT_RUN_ATTEMPTS, NOT_RUN_BACKOFF_MS, REPLY_GRACE_MS, RETRY_ATTEMPTS,
                     RETRY_BACKOFF_MS, Client, load_token)
from .methods import Method, methods, services
from .status import CruddurError, Status

__all__ = ["Client", "CruddurError", "Status", "Method", "methods", "services", "load_token",
           "DEFAULT_DEADLINE_MS", "MAX_DEADLINE_MS", "MAX_REQUEST_BYTES", "REPLY_GRACE_MS",
           "NOT_RUN_ATTEMPTS", "NOT_RUN_BACKOFF_MS", "RETRY_ATTEMPTS", "RETRY_BACKOFF_MS"]
