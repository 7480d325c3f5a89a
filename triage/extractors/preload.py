"""Imported once by the worker fork server (triage.batch.local) when plugins are on.

The shipped plugins and what they import (phonenumbers' metadata, stdnum,
the word lists) then load once there, about 0.15 s, and every worker forked
from it starts with them instead of importing them again. A module that
fails here is left out silently: the worker's own discovery imports it again
and records the failure in the case, as without the preload.
"""

try:  # anything but ImportError raised here would stop the fork server, and every worker with it
    from triage.extractors.manager import import_shipped

    import_shipped([])
except Exception:  # noqa: BLE001, S110 - the workers' own discovery reports it
    pass
