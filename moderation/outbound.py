"""Outgoing HTTP for webhooks: the SSRF guard and a request pinned to the checked address.

The host is resolved once, every address is checked against the blocked ranges, and the
request then connects to that very address (with the original Host header and, for https,
SNI and certificate checks for the original name), so a DNS answer cannot change between the
check and the connection. Redirects are never followed. Nothing here imports Django.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Cloud metadata services, refused even if an operator allows private ranges broadly.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class UnsafeUrl(ValueError):
    """The URL may not be called: bad scheme, credentials, or a blocked address."""


@dataclass(frozen=True)
class OutboundResponse:
    status_code: int
    headers: Mapping[str, str]
    body_start: str
    latency_ms: int


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """CIDR strings (`127.0.0.1/32`, `10.0.0.0/8`) as networks; raises ValueError."""
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def check_url_shape(url: str) -> None:
    """Scheme http(s), a host, no user:password. Raises UnsafeUrl."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Credentials in URLs are not allowed; authenticate with the signature.")
    try:
        _ = parts.port
    except ValueError as exc:
        raise UnsafeUrl("The URL's port is not valid.") from exc


#: IPv6 prefixes whose last 32 bits are an IPv4 address the packet ends up at: NAT64's
#: well-known and local-use prefixes (RFC 6052, RFC 8215).
_NAT64_PREFIXES = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may be routed to: IPv4-mapped
    (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4
    (2002:aabb:ccdd::), Teredo (2001::/32, its server and client) and ISATAP interface ids
    (…:0:5efe:a.b.c.d)."""
    found: list[ipaddress.IPv4Address] = []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1 (checked as IPv6)
        found.append(low32)
    if any(address in prefix for prefix in _NAT64_PREFIXES):
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if (int(address) >> 32) & 0xFDFFFFFF == 0x00005EFE:  # ISATAP: 0000:5efe or 0200:5efe
        found.append(low32)
    return found


def address_is_blocked(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    """Private, loopback, link-local, multicast, reserved and metadata addresses are blocked,
    unless inside an allowed network (metadata addresses never are). An IPv6 address that
    carries an IPv4 address (embedded_ipv4) is blocked if that IPv4 address is."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = embedded_ipv4(address)
        if address.ipv4_mapped is not None:
            return address_is_blocked(address.ipv4_mapped, allowed)
        if any(address_is_blocked(inner, allowed) for inner in carried):
            return True
    if address in METADATA_ADDRESSES:
        return True
    if any(address in network for network in allowed):
        return False
    return not address.is_global or address.is_multicast


def literal_address(host: str) -> IPAddress | None:
    """The address if `host` is an IP literal (brackets allowed), else None (a name).

    Every spelling the system's resolver takes as an IPv4 address counts as one, not only
    the dotted quad: `127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`, `0` (inet_aton's
    forms), with or without a trailing dot, so they are checked when an endpoint is created,
    not only when it is called.
    """
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    candidate = bare.removesuffix(".")
    if not candidate or not all(c in "0123456789abcdefABCDEFxX." for c in candidate):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(candidate))
    except OSError:
        return None


#: Names that mean this machine wherever they are resolved (RFC 6761 and the usual
#: /etc/hosts entries), and the address each stands for.
_LOOPBACK_NAMES: dict[str, IPAddress] = {
    "localhost": ipaddress.IPv4Address("127.0.0.1"),
    "localhost.localdomain": ipaddress.IPv4Address("127.0.0.1"),
    "ip6-localhost": ipaddress.IPv6Address("::1"),
    "ip6-loopback": ipaddress.IPv6Address("::1"),
}


def loopback_name_address(host: str) -> IPAddress | None:
    """The loopback address `host` names (`localhost`, `*.localhost`, `ip6-localhost`, with
    any case and a trailing dot), or None for any other name."""
    name = host.lower().removesuffix(".")
    if name in _LOOPBACK_NAMES:
        return _LOOPBACK_NAMES[name]
    if name.endswith(".localhost"):
        return _LOOPBACK_NAMES["localhost"]
    return None


def check_address(host: str, address: IPAddress, allowed: Sequence[IPNetwork]) -> None:
    """Raise UnsafeUrl if `address` (what `host` stands for) is blocked."""
    if address_is_blocked(address, allowed):
        raise UnsafeUrl(
            f"{host} resolves to {address}, a private, loopback, link-local or metadata "
            "address; an operator can allow it with WEBHOOK_ALLOWED_NETWORKS."
        )


def resolve_checked(host: str, port: int, allowed: Sequence[IPNetwork]) -> IPAddress:
    """Resolve the host and return an address to connect to; raises UnsafeUrl if any
    resolved address is blocked (a name that resolves to a mix is refused whole)."""
    literal = literal_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnsafeUrl(f"Cannot resolve {host}: {exc}.") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise UnsafeUrl(f"{host} resolves to no address.")
    for address in addresses:
        check_address(host, address, allowed)
    return addresses[0]


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allowed_networks: Sequence[IPNetwork],
    timeout_seconds: float,
    max_body_bytes: int = 1024,
) -> OutboundResponse:
    """POST `body` to `url` after the SSRF check, pinned to the checked address.

    Raises UnsafeUrl before any connection when the URL is refused, and urllib3's
    HTTPError subclasses (timeouts, refused connections, TLS errors) when the request fails.
    """
    check_url_shape(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = resolve_checked(host, port, allowed_networks)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default_port = port == (443 if https else 80)
    host_header = host if default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if default_port else f"[{host}]:{port}"
    timeout = urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds)
    pool: urllib3.HTTPConnectionPool
    if https:
        pool = urllib3.HTTPSConnectionPool(
            str(address),
            port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            str(address), port, timeout=timeout, retries=False, maxsize=1
        )
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            raw = response.read(max_body_bytes, decode_content=True) or b""
        finally:
            response.release_conn()
    finally:
        pool.close()
    latency_ms = int((time.monotonic() - started) * 1000)
    return OutboundResponse(
        status_code=response.status,
        headers={key.lower(): value for key, value in response.headers.items()},
        body_start=raw.decode("utf-8", errors="replace"),
        latency_ms=latency_ms,
    )
