"""The one fetch layer, for feeds and article pages (httpx, synchronous).

What one :meth:`Fetcher.fetch` guarantees:

- a connect timeout and an **overall deadline** (``total_timeout``) that also ends bodies
  trickled a byte at a time (a read timeout alone never fires on those: case 20). The
  deadline is enforced by a watchdog timer that shuts the connection's socket down;
- at most ``max_bytes`` of body, raw and decompressed (the read stops with a clear error);
- redirects followed by us, hop by hop (at most ``max_redirects``; a cycle fails fast), with
  the peer address of every hop checked against private/loopback/link-local ranges unless
  allowed (the check runs on the address actually connected, so DNS tricks do not bypass it);
- ``permanent_redirect`` set only when every hop of the chain was 301 or 308 (case 13);
- conditional GET (``If-None-Match`` / ``If-Modified-Since``), a 304 returned as
  ``not_modified`` with no body;
- gzip and deflate decoded by us, so a truncated or corrupt compressed body is an error,
  never an empty document; a body labelled gzip that is not compressed, or a gzip body
  without the label, is recognised and read correctly (with a warning).

Connections are not kept alive between fetches: a poller talks to each host every few
minutes, and a fresh connection per fetch is what lets the watchdog find the socket.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor import USER_AGENT
from monitor.errors import PermanentFetchError, TransientFetchError
from monitor.httpbody import BodyDecoder, content_encoding

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch.

    Attributes:
        connect_timeout: seconds to open the TCP (and TLS) connection of one hop.
        total_timeout: overall deadline in seconds for the whole fetch, every redirect hop and
            the whole body included.
        max_bytes: byte cap of the body (raw and after decompression).
        max_redirects: redirects followed before giving up.
        user_agent: the ``User-Agent`` header (names the product).
        allow_private_addresses: connect to private, loopback, link-local or reserved addresses
            (off by default; tests and intranet feeds turn it on).
    """

    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    allow_private_addresses: bool = False

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> FetchPolicy:
        """A policy from :class:`monitor.settings.Settings` (``fetch_*``, ``max_document_bytes``,
        ``allow_private_addresses``); keyword ``overrides`` win."""
        values: dict[str, Any] = {
            "connect_timeout": getattr(settings, "fetch_connect_timeout", cls.connect_timeout),
            "total_timeout": getattr(settings, "fetch_total_timeout", cls.total_timeout),
            "max_bytes": settings.max_document_bytes,
            "max_redirects": getattr(settings, "fetch_max_redirects", cls.max_redirects),
            "allow_private_addresses": settings.allow_private_addresses,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class Validators:
    """Conditional-GET validators: the ``ETag`` and ``Last-Modified`` header values, verbatim."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """The outcome of a successful fetch (2xx, or 304 with ``not_modified``).

    Attributes:
        requested_url: the URL asked for. final_url: the URL of the last hop.
        status: final HTTP status. headers: final response headers, lower-case names.
        content: the body, decompressed (empty for 304). content_type: ``Content-Type`` or None.
        not_modified: True for 304 (the caller skips parsing).
        permanent_redirect: the new URL when every hop to the end was 301/308, else None.
        validators: ETag / Last-Modified of the response (to store for the next conditional GET).
        retry_after: seconds from ``Retry-After`` when the server sent one, else None.
        elapsed: wall-clock seconds of the whole fetch.
        redirects: the chain as (status, URL redirected to) pairs.
        warnings: things recovered from (mislabelled compression...), as sentences.
    """

    requested_url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content: bytes
    content_type: str | None
    not_modified: bool
    permanent_redirect: str | None
    validators: Validators
    retry_after: float | None
    elapsed: float
    redirects: tuple[tuple[int, str], ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).

    Returns None when absent or unreadable; never negative.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def address_is_public(ip: str) -> bool:
    """True when ``ip`` is a global unicast address (not private, loopback, link-local, reserved...)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


class _Watchdog:
    """Shuts down the socket of the current hop when the overall deadline passes."""

    def __init__(self, url: str, deadline: float, allow_private: bool) -> None:
        self.url = url
        self.deadline = deadline
        self.allow_private = allow_private
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore trace hook: check the peer of each new connection and remember its socket.

        After TLS starts, the TLS socket replaces the plain one (the plain one is detached by
        ``ssl``), so it is the one the watchdog shuts down.
        """
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        if event == "connection.connect_tcp.complete":
            peer = sock.getpeername()[0]
            if not self.allow_private and not address_is_public(peer):
                sock.close()
                raise PermanentFetchError(
                    self.url,
                    f"refused: {peer} is a private, loopback or reserved address (to fetch it anyway: "
                    "MONITOR_ALLOW_PRIVATE_ADDRESSES=true, or --allow-private for 'feeds check')",
                )
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def cancel(self) -> None:
        self._timer.cancel()


class Fetcher:
    """Fetches URLs under one :class:`FetchPolicy`; holds one ``httpx.Client``, built once.

    Thread-safe for concurrent :meth:`fetch` calls (httpx clients are). Call :meth:`close`
    (or use it as a context manager) when done.
    """

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._client = httpx.Client(
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def fetch(
        self, url: str, validators: Validators | None = None, *, ignore_validators: bool = False
    ) -> FetchResult:
        """GET ``url`` (following redirects), conditionally when ``validators`` are given.

        Args:
            url: absolute http(s) URL.
            validators: ETag / Last-Modified stored from the previous fetch.
            ignore_validators: send no conditional headers (for servers whose validators lie).

        Returns:
            a :class:`FetchResult` for 2xx and 304.

        Raises:
            TransientFetchError: timeout, connection error, truncated plain body, 5xx, 408, 429
                (``retry_after`` from ``Retry-After``).
            PermanentFetchError: 404, 410 (gone), other 4xx, too many redirects or a redirect loop,
                body over the byte cap, refused address, corrupt or truncated compressed body,
                a URL that is not http(s).
        """
        started = time.monotonic()
        watchdog = _Watchdog(url, started + self.policy.total_timeout, self.policy.allow_private_addresses)
        try:
            return self._fetch(url, validators if not ignore_validators else None, watchdog, started)
        finally:
            watchdog.cancel()

    def _fetch(
        self, url: str, validators: Validators | None, watchdog: _Watchdog, started: float
    ) -> FetchResult:
        headers = _conditional_headers(validators)
        current = _check_url(url, url)
        visited = {current}
        chain: list[tuple[int, str]] = []
        while True:
            with self._open(url, current, headers, watchdog) as response:
                status = response.status_code
                if status in REDIRECT_STATUSES and "location" in response.headers:
                    current = self._next_hop(url, current, response, chain, visited)
                    continue
                _raise_for_status(current, response)
                body, warnings = self._read_body(current, response, watchdog)
                return _result(url, current, response, body, chain, warnings, time.monotonic() - started)

    def _next_hop(
        self, url: str, current: str, response: httpx.Response,
        chain: list[tuple[int, str]], visited: set[str],
    ) -> str:
        location = response.headers["location"]
        try:
            target = str(httpx.URL(current).join(location))
        except (httpx.InvalidURL, ValueError) as exc:
            raise PermanentFetchError(url, f"redirect to an invalid URL {location!r}: {exc}") from exc
        target = _check_url(url, target, location)
        chain.append((response.status_code, target))
        if target in visited:
            raise PermanentFetchError(url, f"redirect loop: {target} was already visited")
        if len(chain) > self.policy.max_redirects:
            raise PermanentFetchError(url, f"more than {self.policy.max_redirects} redirects")
        visited.add(target)
        return target

    def _open(self, url: str, current: str, headers: dict[str, str], watchdog: _Watchdog) -> Any:
        remaining = watchdog.remaining()
        if remaining <= 0:
            raise _timeout(url, self.policy.total_timeout)
        timeout = httpx.Timeout(remaining, connect=min(self.policy.connect_timeout, remaining))
        request = self._client.build_request(
            "GET", current, headers=headers, timeout=timeout, extensions={"trace": watchdog.trace}
        )
        return _Response(self._client, request, url, watchdog, self.policy)

    def _read_body(
        self, current: str, response: httpx.Response, watchdog: _Watchdog
    ) -> tuple[bytes, list[str]]:
        if response.status_code == 304:
            return b"", []
        cap = self.policy.max_bytes
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise PermanentFetchError(
                current, f"body of {int(length)} bytes is larger than the byte cap of {cap} bytes"
            )
        decoder = BodyDecoder(current, content_encoding(current, response.headers), cap)
        out = bytearray()
        raw = 0
        for chunk in _guarded(current, response.iter_raw(), watchdog, self.policy.total_timeout):
            raw += len(chunk)
            if raw > cap:
                raise PermanentFetchError(current, f"body larger than the byte cap of {cap} bytes")
            out += decoder.feed(chunk)
        decoder.finish()
        return bytes(out), decoder.warnings


class _Response:
    """Context manager: send one request (streamed) and map httpx errors to ours."""

    def __init__(self, client: httpx.Client, request: httpx.Request, url: str, watchdog: _Watchdog,
                 policy: FetchPolicy) -> None:
        self._client, self._request, self._url = client, request, url
        self._watchdog, self._policy = watchdog, policy
        self._response: httpx.Response | None = None

    def __enter__(self) -> httpx.Response:
        with _mapped_errors(self._url, self._watchdog, self._policy.total_timeout):
            response = self._client.send(self._request, stream=True)
        self._response = response
        return response

    def __exit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.close()


class _mapped_errors:  # noqa: N801 - used as a context manager, reads like a function
    def __init__(self, url: str, watchdog: _Watchdog, total: float) -> None:
        self.url, self.watchdog, self.total = url, watchdog, total

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        """Re-raise httpx/socket errors as ours; anything else propagates unchanged."""
        if exc is None or not isinstance(exc, httpx.HTTPError | OSError):
            return
        if self.watchdog.expired:
            raise _timeout(self.url, self.total) from exc
        if isinstance(exc, httpx.ConnectTimeout):
            raise TransientFetchError(self.url, "timeout: could not connect in time") from exc
        if isinstance(exc, httpx.TimeoutException):
            raise TransientFetchError(self.url, f"timeout: {type(exc).__name__}") from exc
        if isinstance(exc, httpx.RemoteProtocolError):
            raise TransientFetchError(self.url, f"connection broken (truncated response?): {exc}") from exc
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            raise PermanentFetchError(self.url, f"invalid URL: {exc}") from exc
        raise TransientFetchError(self.url, f"connection error: {exc or type(exc).__name__}") from exc


def _guarded(url: str, chunks: Iterator[bytes], watchdog: _Watchdog, total: float) -> Iterator[bytes]:
    """Yield body chunks, mapping errors and stopping at the deadline."""
    with _mapped_errors(url, watchdog, total):
        for chunk in chunks:
            if watchdog.expired or watchdog.remaining() <= 0:
                raise _timeout(url, total)
            yield chunk
    if watchdog.expired:
        raise _timeout(url, total)


def _timeout(url: str, total: float) -> TransientFetchError:
    return TransientFetchError(url, f"timeout: no complete response within the {total:g} s deadline")


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def url_problem(url: str | None) -> str | None:
    """Why ``url`` cannot be fetched over HTTP, or None when it can: not http(s), no host, a port
    outside 1-65535, a host name IDNA cannot encode (an empty label as in "a..b", a label
    over 63 letters), a label starting or ending with a hyphen, or digits that are no IPv4
    address ("256.1.1.1"). Checked where a URL enters (feeds.yaml, entry links, redirects), so a bad one
    is named there instead of failing inside the socket layer at every poll."""
    if not url:
        return "no URL"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a port that is no number or out of range
        return f"not a valid URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL ({parts.scheme or 'no'} scheme)"
    host = parts.hostname
    if not host:
        return "the URL has no host"
    if port == 0:
        return "port 0 is not a port"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"host {host!r} is not a valid domain name (an empty or over-long label)"
    if not all(ch.isalnum() or ch in "-._" for ch in ascii_host):
        return f"host {host!r} is not a valid domain name"
    labels = ascii_host.rstrip(".").split(".")
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return f"host {host!r} is not a valid domain name (a label starts or ends with '-', RFC 1123)"
    if labels[-1].isdigit():  # "256.1.1.1": no IPv4 address, and no top-level domain is all digits (RFC 3696, 2)
        return f"host {host!r} is neither an IP address nor a domain name"
    return None


def is_web_url(url: str | None) -> bool:
    """True for a URL that :func:`url_problem` accepts: the only links handed on to fetching,
    storage and alert messages (a ``javascript:`` or ``file:`` link in a feed must not become a
    clickable link)."""
    return url_problem(url) is None


def _check_url(url: str, target: str, location: str | None = None) -> str:
    """``target`` as httpx writes it; a redirect's raw ``location`` is named in the error."""
    problem = url_problem(target)
    if problem is not None:
        where = f"redirect to {location!r} refused" if location is not None else target
        raise PermanentFetchError(url, f"{where}: {problem}")
    try:
        return str(httpx.URL(target))
    except httpx.InvalidURL as exc:
        raise PermanentFetchError(url, f"invalid URL {target!r}: {exc}") from exc


def _raise_for_status(current: str, response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300 or status == 304:
        return
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status == 429 or status == 408 or status >= 500:
        phrase = response.reason_phrase or "server error"
        raise TransientFetchError(current, f"HTTP {status} {phrase}", status, retry_after)
    if status == 410:
        raise PermanentFetchError(current, "gone (HTTP 410): the publisher removed this resource", status)
    if status == 404:
        raise PermanentFetchError(current, "not found (HTTP 404)", status)
    if status in REDIRECT_STATUSES:
        raise PermanentFetchError(current, f"HTTP {status} redirect without a Location header", status)
    raise PermanentFetchError(current, f"HTTP {status} {response.reason_phrase}".strip(), status)


def _result(
    url: str, final: str, response: httpx.Response, body: bytes, chain: list[tuple[int, str]],
    warnings: list[str], elapsed: float,
) -> FetchResult:
    permanent = final if chain and all(status in PERMANENT_REDIRECTS for status, _ in chain) else None
    headers = {k.lower(): v for k, v in response.headers.items()}
    return FetchResult(
        requested_url=url,
        final_url=final,
        status=response.status_code,
        headers=headers,
        content=body,
        content_type=headers.get("content-type"),
        not_modified=response.status_code == 304,
        permanent_redirect=permanent,
        validators=Validators(headers.get("etag"), headers.get("last-modified")),
        retry_after=parse_retry_after(headers.get("retry-after")),
        elapsed=elapsed,
        redirects=tuple(chain),
        warnings=tuple(warnings),
    )
