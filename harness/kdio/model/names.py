"""The names of the measured dio methods and xfer channels, read from the
one place each is written: the X() lists of the C headers (KDIO_DIO_METHODS
in the dio uAPI header, KDIO_XFER_CONSUMERS in kdio-xfer's consumers.h),
so that the harness, the module and the tools cannot disagree."""

import re
from pathlib import Path

from kdio import where

TOP = where.TOP
DIO_HEADER = TOP / "modules/include/uapi/kdio/dio.h"
XFER_HEADER = TOP / "userspace/xfer/consumers.h"


class NamesError(Exception):
    """A header does not hold the list it should."""


def x_list(text, macro):
    """The quoted names of the X(...) lines of #define macro(X), in order."""
    m = re.search(rf"^#define\s+{macro}\(X\)((?:.*\\\n)*.*)$", text, re.M)
    if not m:
        raise NamesError(f"no #define {macro}(X) list; restore it in the header")
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    names = re.findall(r'\bX\([^)"]*"([^"]+)"\s*\)', body)
    if not names:
        raise NamesError(f"{macro}(X) lists no X(..., \"name\") line")
    return tuple(names)


def dio_methods(header=DIO_HEADER):
    return x_list(Path(header).read_text(), "KDIO_DIO_METHODS")


def xfer_channels(header=XFER_HEADER):
    return x_list(Path(header).read_text(), "KDIO_XFER_CONSUMERS")


def disagreement(tool, harness):
    """What differs between a tool's list of names and the harness's, in
    words, or None if they agree, order included."""
    tool, harness = list(tool), list(harness)
    if tool == harness:
        return None
    missing = [n for n in harness if n not in tool]
    extra = [n for n in tool if n not in harness]
    if missing or extra:
        return f"the tool lacks {missing} and has {extra} the harness does not"
    return f"the same names in another order: tool {tool}, harness {harness}"


DIO_METHODS = dio_methods()
XFER_CHANNELS = xfer_channels()
