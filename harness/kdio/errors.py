"""Typed errors raised by the harness library; only the CLI prints them.

Every error carries what went wrong (the message) and what to do about it
(the hint), so the CLI can print both without knowing the cause.
"""


class KdioError(Exception):
    """Base class: message says what was wrong, hint says what to do."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.hint = hint


class ConfigError(KdioError):
    """A suite or kernel data file is missing or malformed."""


class FetchError(KdioError):
    """A kernel package could not be downloaded or unpacked."""


class BuildError(KdioError):
    """The modules or the userspace tools did not build."""


class VmError(KdioError):
    """QEMU could not be started, or the guest failed."""


class SchemaError(KdioError):
    """A result file does not follow the result schema."""


class TreeError(KdioError):
    """A kernel tree or source is not usable: not a tree, not built, another
    architecture, or a source that cannot be unpacked."""


class KconfigError(KdioError):
    """A kernel configuration lacks options kdio needs, or lost them in a merge."""


class ProfileError(KdioError):
    """The profiler cannot run, or a profile fails its checks: a plugin
    QEMU will not load, a window left open, counts that do not add up."""
