"""The work layer: work units, the worker runtime, and the executors that run them.

``units.py`` (what crosses to a worker), ``runtime.py`` (what runs a unit),
``inline.py``, ``local.py``, ``distributed.py`` (in this process, a supervised
local pool, a dask cluster), ``gcpace.py`` (the collector paced by units) and
``cpu.py`` (``default_workers()``). It imports the scan of one stream and the
evidence layer, never the pipeline, the job layer or the commands above it.
"""
