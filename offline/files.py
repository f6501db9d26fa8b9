"""Reading the files a user names (stack files, exports, policy configs): bytes, then UTF-8 text,
or one OfflineError line that names the file and says what to do."""

from __future__ import annotations

import codecs
from pathlib import Path

from offline import OfflineError

MAX_FILE_BYTES = 256 * 1024 * 1024
"""The most any file the user names may hold unless its reader says otherwise: a device or a pipe
that never ends (`/dev/zero`) is refused after this much, not read until memory runs out."""


def read_user_file(path: Path, label: str, max_bytes: int = MAX_FILE_BYTES, hint: str = "") -> bytes:
    """The bytes of `path`; `label` starts every error line (e.g. "Pulumi.x.yaml: the stack file").
    More than `max_bytes` is one error line (`hint` says how to allow more), before it is all read."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise OfflineError(f"{label} does not exist in {path.parent}") from None
    except IsADirectoryError:
        raise OfflineError(f"{label} is a directory, not a file") from None
    except OSError as error:
        raise OfflineError(f"{label} cannot be read: {error.strerror}") from None
    if len(raw) > max_bytes:
        raise OfflineError(f"{label} holds more than {size_text(max_bytes)}{hint}")
    return raw


def size_text(count: int) -> str:
    """A byte count as people read it: 512 bytes, 16 KiB, 78 MiB."""
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:,.0f} {unit}"
    return f"{count} bytes"


def decode_text(raw: bytes, label: str, hint: str = "") -> str:
    """UTF-8 text (a byte-order mark is dropped). UTF-16, with or without its mark, and other
    encodings are refused with the offset of the first bad byte."""
    # A NUL in the first two bytes is UTF-16 without a byte-order mark: no UTF-8 text starts so.
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:2]:
        raise OfflineError(f"{label} is UTF-16 text; save it as UTF-8{hint}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OfflineError(f"{label} is not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                           "save it as UTF-8") from None


def read_text_file(path: Path, label: str, hint: str = "") -> str:
    return decode_text(read_user_file(path, label), label, hint)
