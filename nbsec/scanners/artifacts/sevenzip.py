"""7z archives, read with py7zr (an optional extra: `pip install 'nbsec[sevenzip]'`) under the zip/tar bounds.

Members are decompressed one at a time into a bounded spool (a member past the member limit, all
members past the total limit, or a ratio past the bomb limit stops the read) and each is scanned the
moment py7zr finishes it, then freed: memory holds one member at most. Without py7zr, or when the
archive cannot be read (encrypted, corrupt, an unsupported filter), the archive is a scan error that
says what to do, never clean.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from nbsec.scanners.artifacts.containers import RATIO_FLOOR, LimitExceeded

if TYPE_CHECKING:
    from nbsec.model import Finding, ScanError
    from nbsec.scanners.artifacts.walker import Walk

    Result = Finding | ScanError

INSTALL_HINT = "install the 7z reader (pip install 'nbsec[sevenzip]', i.e. py7zr), or extract it and scan the folder"
READ_HINT = "extract it with 7z (it may be corrupt or use an unsupported filter) and scan the extracted folder"
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def walk_7z(
    walk: Walk,
    stream: BinaryIO,
    size: int,
    member: str | None,
    scan_member: Callable[[BinaryIO, str], Iterator[Result]],
) -> Iterator[Result]:
    """Scan every file of the 7z in `stream` (seekable, `size` bytes) with `scan_member(data, name)`."""
    try:
        import py7zr
        from py7zr.io import Py7zIO, WriterFactory
    except ImportError:
        yield walk.error(member, "7z archive not scanned: the 7z reader (py7zr) is not installed", INSTALL_HINT)
        return
    results: list[Result] = []
    limits = walk.limits
    written = [0]

    class Spool(Py7zIO):
        """One member's bytes, capped; scanned when py7zr closes it (the member is complete)."""

        def __init__(self, name: str) -> None:
            self.name = name
            self.size_ = 0
            self.buffer: Any = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115

        def write(self, s: bytes | bytearray) -> int:
            self.size_ += len(s)
            written[0] += len(s)
            if self.size_ > limits.max_member_bytes:
                raise LimitExceeded(f"7z member {self.name} decompresses past {limits.max_member_bytes:,} bytes")
            if written[0] > limits.max_total_bytes:
                raise LimitExceeded(f"7z members decompress past {limits.max_total_bytes:,} bytes in all")
            if written[0] > RATIO_FLOOR and written[0] > limits.max_compression_ratio * max(size, 1):
                raise LimitExceeded(f"7z compression ratio over {limits.max_compression_ratio}:1 (bomb?)")
            return int(self.buffer.write(s))

        def read(self, size: int | None = None) -> bytes:
            return bytes(self.buffer.read(size))

        def seek(self, offset: int, whence: int = 0) -> int:
            return int(self.buffer.seek(offset, whence))

        def flush(self) -> None:
            self.buffer.flush()

        def size(self) -> int:
            return self.size_

        def close(self) -> None:
            try:
                self.buffer.seek(0)
                results.extend(scan_member(self.buffer, self.name))
            finally:
                self.buffer.close()

    class Factory(WriterFactory):
        def create(self, filename: str) -> Py7zIO:
            return Spool(filename)

    try:
        with py7zr.SevenZipFile(stream, mode="r") as archive:
            if archive.needs_password():
                yield walk.error(member, "7z archive is encrypted: its members were not scanned", READ_HINT)
                return
            infos = archive.list()
            if len(infos) > limits.max_members:
                raise LimitExceeded(f"7z declares {len(infos):,} members (limit {limits.max_members:,})")
            declared = sum(info.uncompressed or 0 for info in infos)
            if declared > limits.max_total_bytes:
                raise LimitExceeded(f"7z declares {declared:,} bytes of members (limit {limits.max_total_bytes:,})")
            archive.extractall(factory=Factory())
    except LimitExceeded:
        yield from results
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the third-party reader means "not scanned", never clean
        yield from results
        yield walk.error(member, f"7z archive could not be read ({type(exc).__name__}: {str(exc)[:160]})", READ_HINT)
        return
    yield from results
