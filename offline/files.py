"""Reading the files a user names (stack files, exports, policy configs): bytes, then UTF-8 text,
or one OfflineError line that names the file and says what to do."""

from __future__ import annotations

import codecs
from pathlib import Path

from offline import OfflineError

MAX_FILE_BYTES = 256 * 1024 * 1024
"""The most any file the user names may hold unless its reader says otherwise (parsed JSON takes ~10x
its size in memory): a bigger file is refused before it is read, and a device or a pipe that never
ends (`/dev/zero`) after this much, not read until memory runs out."""


def read_user_file(path: Path, label: str, max_bytes: int = MAX_FILE_BYTES, hint: str = "") -> bytes:
    """The bytes of `path`; `label` starts every error line (e.g. "Pulumi.x.yaml: the stack file").
    More than `max_bytes` is one error line (`hint` says how to allow more), before it is all read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise OfflineError(f"{label} is {size:,} bytes; at most {max_bytes:,} are read{hint}")
        with path.open("rb") as stream:
            # A FIFO or a device reports no size: read at most one byte past the limit.
            raw = stream.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise OfflineError(f"{label} is over {max_bytes:,} bytes; at most that many are read{hint}")
        return raw
    except FileNotFoundError:
        raise OfflineError(f"{label} does not exist in {path.parent}") from None
    except IsADirectoryError:
        raise OfflineError(f"{label} is a directory, not a file") from None
    except OSError as error:
        raise OfflineError(f"{label} cannot be read: {error.strerror}") from None


def decode_text(raw: bytes, label: str, hint: str = "") -> str:
    """UTF-8 text (a byte-order mark is dropped). UTF-16, with or without its mark, and other
    encodings are refused with the offset of the first bad byte."""
    # Three NULs beside the first character is UTF-32, a NUL in the first two bytes UTF-16, with or
    # without a byte-order mark: no UTF-8 text starts so.
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or b"\x00\x00\x00" in (raw[:3], raw[1:4]):
        raise OfflineError(f"{label} is UTF-32 text; save it as UTF-8{hint}")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:2]:
        raise OfflineError(f"{label} is UTF-16 text; save it as UTF-8{hint}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OfflineError(f"{label} is not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                           "save it as UTF-8") from None


def read_text_file(path: Path, label: str, hint: str = "") -> str:
    return decode_text(read_user_file(path, label), label, hint)
