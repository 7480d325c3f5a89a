"""The job layer: prepares and runs a scan or a batch; the only thing `triage scan` and `triage batch` call.

``prepare.py`` (rules compiled once, the engine built, what the case records
about the run's setup), ``executors.py`` (which executor runs the work units),
``scan.py`` (``run_scan``: evidence items into one case) and ``batch.py``
(``run_batch``: a manifest into one case per case name). Below it: the work
layer, the scan, the evidence and the case; above it only the click commands,
which parse, call one job function and render what it returns. Nothing here
imports click or a command: setup failures are :class:`JobSetupError`, one line.
"""
