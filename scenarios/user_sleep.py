"""A user's sleep outside Locust's own wait that a stop still ends at once.

Locust stops a user that is waiting (in ``wait_time``) at once, but lets a user that is
running finish, for up to ``--stop-timeout`` seconds. erpcap's users spread their first
request over part of a think time in ``on_start``, where Locust counts them as running: at
the end of a run (or of a step with fewer users) each such user held the stop for the rest
of its sleep. :func:`stoppable_sleep` marks the user as waiting while it sleeps, as Locust's
``User.wait`` does, so a stop kills it during the sleep instead.
"""

from __future__ import annotations

import gevent
from locust import User
from locust.user.task import LOCUST_STATE_RUNNING, LOCUST_STATE_WAITING


def stoppable_sleep(user: User, seconds: float) -> None:
    """Sleep ``seconds``; a stop meanwhile kills the user's greenlet at once (GreenletExit)."""
    user._state = LOCUST_STATE_WAITING  # noqa: SLF001 - the state Locust's own wait sets
    try:
        gevent.sleep(seconds)
    finally:
        if user._state == LOCUST_STATE_WAITING:  # noqa: SLF001
            user._state = LOCUST_STATE_RUNNING  # noqa: SLF001
