"""Decoding HTTP bodies ourselves (gzip, deflate), so that broken compression is an error.

httpx's own decoders accept a truncated gzip stream silently (zlib's ``flush`` does not check
the end marker), which would turn a cut-off feed into a short or empty one. Here the stream's
end marker is required, the decompressed size is capped (a small gzip body can inflate to
gigabytes), and two common server mistakes are recognised: a plain body labelled gzip, and a
gzip body (a ``.xml.gz`` file) served without ``Content-Encoding``.
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx

from monitor.errors import PermanentFetchError

_GZIP_MAGIC = b"\x1f\x8b"


class BodyDecoder:
    """Decodes a gzip/deflate body chunk by chunk and knows whether the stream ended properly.

    Args:
        url: named in errors. encoding: ``gzip``, ``deflate`` or ``identity`` (from
            :func:`content_encoding`). max_bytes: cap on the decompressed size (bytes).

    :meth:`feed` returns the decompressed bytes of a chunk; :meth:`finish` raises when the
    compressed stream was truncated. Both raise PermanentFetchError for corrupt data or a
    body over the cap. ``warnings`` lists what was recovered (mislabelled compression).
    """

    def __init__(self, url: str, encoding: str, max_bytes: int) -> None:
        self.url = url
        self.encoding = encoding  # "gzip", "deflate" or "identity"
        self.max_bytes = max_bytes
        self.warnings: list[str] = []
        self._obj: Any = None
        self._started = False
        self._out = 0

    def feed(self, chunk: bytes) -> bytes:
        if not self._started:
            self._start(chunk)
        if self._obj is None:
            return self._count(chunk)
        out = bytearray()
        data = chunk
        while data:
            try:
                piece = self._obj.decompress(data, self.max_bytes + 1 - self._out)
            except zlib.error as exc:
                raise PermanentFetchError(self.url, f"corrupt {self.encoding} body: {exc}") from exc
            out += self._count(piece)
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                data = self._next_member(self._obj.unused_data)
        return bytes(out)

    def finish(self) -> None:
        """Raise when a compressed body ended before its end marker (truncated)."""
        if self._obj is not None and not self._obj.eof:
            raise PermanentFetchError(
                self.url, f"truncated {self.encoding} body: the compressed stream ends before its end marker"
            )

    def _start(self, first: bytes) -> None:
        self._started = True
        if self.encoding == "gzip" and not first.startswith(_GZIP_MAGIC):
            self.warnings.append("body labelled Content-Encoding gzip is not compressed; read as-is")
        elif self.encoding == "gzip":
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            # RFC 9110 says zlib-wrapped; many servers send raw deflate (as browsers accept).
            zlib_header = len(first) >= 2 and (first[0] & 0x0F) == 8 and (first[0] << 8 | first[1]) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        elif first.startswith(_GZIP_MAGIC):
            self.encoding = "gzip"
            self.warnings.append("gzip-compressed body without Content-Encoding; decompressed")
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _next_member(self, rest: bytes) -> bytes:
        if self.encoding == "gzip" and rest.startswith(_GZIP_MAGIC):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return rest
        return b""

    def _count(self, piece: bytes) -> bytes:
        self._out += len(piece)
        if self._out > self.max_bytes:
            raise PermanentFetchError(self.url, f"body larger than the byte cap of {self.max_bytes} bytes")
        return piece


def content_encoding(url: str, headers: httpx.Headers) -> str:
    """``gzip``, ``deflate`` or ``identity`` from ``Content-Encoding``; PermanentFetchError otherwise."""
    values = [v.strip().lower() for v in headers.get("content-encoding", "").split(",") if v.strip()]
    values = [v for v in values if v != "identity"]
    if not values:
        return "identity"
    if len(values) > 1 or values[0] not in ("gzip", "x-gzip", "deflate"):
        raise PermanentFetchError(url, f"unsupported Content-Encoding {headers.get('content-encoding')!r}")
    return "gzip" if values[0] == "x-gzip" else values[0]
