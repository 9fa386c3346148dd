"""erpcap's locustfile: ``locust -f`` this file through :func:`erpcap.scenarios.launch.locust_command`.

Locust finds user and shape classes among this module's names, so it builds them when
imported, from the ``ERPCAP_*`` environment (see :mod:`erpcap.scenarios.launch`): one user
class per role of the scenario, and a shape that follows ``ERPCAP_SHAPE``. The ``init``
listener attaches the request recorder in every process that sends requests (after
``--processes`` has forked, so each worker writes parts under its own pid). With
``erpcap run --master``, remote workers (``erpcap worker``) ship their rows to the master,
which writes them (:mod:`erpcap.scenarios.remote`).
"""

from __future__ import annotations

import os
from typing import Any

from locust import events

from erpcap.rundir import RunDir
from erpcap.scenarios.catalog import resolve_scenario
from erpcap.scenarios.classes import user_classes_for
from erpcap.scenarios.distribute import ENV_MASTER
from erpcap.scenarios.launch import LoadSettings
from erpcap.scenarios.locust_shape import shape_class
from erpcap.scenarios.recorder import RequestRecorder, broadcast_users, stop_gracefully_on
from erpcap.scenarios.remote import WorkerCollector, is_remote_worker, ship_from_worker

_settings = LoadSettings.from_env(os.environ)
_run = RunDir(_settings.run_dir)

_classes = user_classes_for(resolve_scenario(_settings.scenario), _settings)
globals().update(_classes)
ErpcapShape = shape_class(_settings.shape, _run, _settings.stop_when)
if _settings.rate:  # the open model: the users become a pool that sends scheduled arrivals
    from erpcap.scenarios.arrivals import open_model

    ErpcapShape = open_model(_settings, _run, _classes.values(), ErpcapShape, events)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    """Record requests where they are made; on a master, tell workers the user count.

    In the process that erpcap signals (the only one, or the master), SIGTERM stops the
    users gracefully instead of killing Locust before its shutdown (see the recorder).
    """
    kind = type(environment.runner).__name__
    if kind == "MasterRunner":
        broadcast_users(environment)
        if os.environ.get(ENV_MASTER):  # erpcap run --master: collect the workers' rows
            WorkerCollector(_run).attach(environment)
    elif kind == "WorkerRunner" and is_remote_worker():  # erpcap worker, on another machine
        ship_from_worker(environment)
    else:
        RequestRecorder(_run).attach(environment)
    if kind != "WorkerRunner":
        stop_gracefully_on(environment)
