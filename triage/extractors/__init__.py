"""The plugin machinery: the contract (``api``), the pluggy hook (``hookspecs``), discovery (``manager``),
the worker preload (``preload``) and the helpers shipped scanners share (``regex``, ``quiet``).

Plugins themselves import only :mod:`triage.plugin_api`. ``triage.plugins.*``
are the former module paths, kept as aliases for one release.
"""
