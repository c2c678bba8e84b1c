"""Byte sizes written the way users write them: 4k, 64K, 1m, 4MiB, 512."""

import re

from kdio.errors import ConfigError

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text):
    """Return the number of bytes in a size such as 64k or 1MiB."""
    if isinstance(text, int):
        return text
    m = _SIZE_RE.match(str(text))
    if not m:
        raise ConfigError(f"not a size: {text!r}",
                          "write sizes as a number with an optional k, m or g suffix (64k, 1m)")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def format_size(nbytes):
    """Shortest exact k/m/g form of a byte count: 65536 -> '64k'."""
    for suffix, unit in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
        if nbytes >= unit and nbytes % unit == 0:
            return f"{nbytes // unit}{suffix}"
    return str(nbytes)
