"""Errors that end a run (or one input file) with a message instead of a traceback."""

from __future__ import annotations


class PcapProbeError(Exception):
    """Base of every error the CLI turns into one ``pcapprobe: ...`` line."""


class CaptureError(PcapProbeError):
    """A capture file cannot be opened or is not a capture at all."""


class UsageError(PcapProbeError):
    """The command line (or API call) asks for something impossible."""
