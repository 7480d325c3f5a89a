"""triage: forensic triage of disk images into a case database."""

__version__ = "0.1.0"
