"""Former home of the plugin machinery and the content matcher, now aliases kept for one release.

The machinery is :mod:`triage.extractors` (plugins import :mod:`triage.plugin_api`);
the content matcher is :mod:`triage.scan.content`.
"""
