"""Extraction: selected files of a case copied out of their evidence, re-verified, under host-safe names.

``names`` makes hostile names safe for any host, ``source`` reads a file back
from its evidence (or an archive member from its container), ``run`` selects,
copies, verifies and records. The command is ``triage.commands.extract``.
"""
