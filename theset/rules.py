"""Pure decisions of the security edges (theset.security, theset.logins): who the client
is behind trusted proxies, who may read /metrics, which requests the anonymous read
limit counts, and when failed logins lock an account or an address."""

from __future__ import annotations

import hmac
import ipaddress
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# An IPv6 client is given a whole /64 (a home or a cloud host gets at least that many
# addresses): counted per address, one machine could rotate past any limit.
IPV6_CLIENT_PREFIX = 64

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_NAMES = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}


def networks_of(items: Iterable[str], *, setting: str) -> tuple[Network, ...]:
    """Addresses ("10.0.0.1") or networks ("10.0.0.0/8") as networks; a ValueError names
    the setting and the item that is neither."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"{setting}: {item!r} is not an IP address or network (e.g. 10.0.0.1, 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def address_in(address: str, networks: Sequence[Network]) -> bool:
    """Whether `address` lies in one of `networks` (never, for what is not an address)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_address_of(remote_addr: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """The client's address: the connection's, unless that is a trusted proxy; then the
    X-Forwarded-For entries are read from the right (each proxy appends the address it
    was connected from) past every trusted proxy. Entries left of the first untrusted
    one are whatever the client sent, and are never believed; nor is anything left of
    an entry that is not an address (the nearest valid hop stands)."""
    address = remote_addr.strip()
    if not address_in(address, trusted):
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        if not hop:
            continue
        if not _is_address(hop):
            break
        address = hop
        if not address_in(hop, trusted):
            break
    return address


def proxied_past_trust(remote_addr: str, forwarded_for: str, trusted: Sequence[Network]) -> bool:
    """Whether a request came through a proxy that is not trusted: it carries
    X-Forwarded-For, but from a connection whose address is no trusted proxy (e.g. a
    proxy on the same host that TRUSTED_PROXIES does not name). Its address is then the
    proxy's, and says nothing about the client."""
    return bool(forwarded_for.strip()) and not address_in(remote_addr, trusted)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def throttle_ident(address: str) -> str:
    """What the anonymous read limit and the login lockout count by: the address, or an
    IPv6 address's /64 (written as its first address, e.g. 2001:db8:1:2::)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        network = ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network.network_address)
    return str(ip)


def metrics_access(
    *, address: str, authorization: str, allowed: Sequence[Network], token: str, proxied: bool
) -> bool:
    """/metrics answers a request with the bearer token (when one is set) or from an
    allowed address, unless it came through a proxy that is not trusted (`proxied`:
    then the address is the proxy's, and every client would pass as loopback)."""
    if token:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), token.encode()
        ):
            return True
    return not proxied and address_in(address, allowed)


@dataclass(frozen=True, slots=True)
class Rate:
    """A throttle rate: `count` requests per window of `seconds`."""

    count: int
    seconds: int

    def describe(self) -> str:
        """'60 a minute', '1000 an hour', '5 every 15 minutes'."""
        name = _UNIT_NAMES.get(self.seconds)
        if name:
            article = "an" if name == "hour" else "a"
            return f"{self.count} {article} {name}"
        unit_seconds = max(unit for unit in _UNIT_NAMES if self.seconds % unit == 0)
        return f"{self.count} every {self.seconds // unit_seconds} {_UNIT_NAMES[unit_seconds]}s"


def parse_rate(text: str, *, setting: str) -> Rate:
    """'60/m', '1000/h', '5/15m' (units s, m, h, d); a ValueError names the setting."""
    match = _RATE.match(text)
    if not match or int(match[1]) < 1 or int(match[2] or 1) < 1:
        raise ValueError(
            f"{setting}: {text!r} is not a rate such as 60/m, 1000/h or 5/15m "
            "(requests / [multiplier] unit, unit one of s, m, h, d)"
        )
    count, multiplier, unit = match.groups()
    return Rate(int(count), int(multiplier or 1) * _UNIT_SECONDS[unit])


def counted_read(method: str, path: str, *, exempt_prefixes: Sequence[str]) -> bool:
    """Whether the anonymous read limit counts this request: reads (GET, HEAD), except
    the paths that serve operators, staff or a page already loaded (health, metrics,
    static files, the admin, the progress streams)."""
    if method not in ("GET", "HEAD"):
        return False
    if any(path.startswith(prefix) for prefix in exempt_prefixes):
        return False
    return not _STREAM_PATH.match(path)


# The progress stream a person's artist page keeps open (theset.urls).
_STREAM_PATH = re.compile(r"^/api/artists/[^/]+/stream$")


def retry_after_seconds(time_left: float) -> int:
    """The Retry-After of a refusal, in whole seconds (at least 1), from django-ratelimit's
    `time_left`: the seconds until the window's last second, which still belongs to it."""
    return max(1, math.ceil(time_left) + 1)


def failures_toward_lockout(
    *, account: int, address: int, account_limit: int, address_limit: int
) -> int:
    """The failed-login count django-axes compares with its limit (`account_limit`):
    the account's failures, or the address's shifted so that it reaches the account
    limit exactly when the address reaches its own, higher one. Either locks."""
    return max(account, address - address_limit + account_limit)


@dataclass(frozen=True, slots=True)
class Lockout:
    account: bool
    address: bool

    @property
    def locked(self) -> bool:
        return self.account or self.address


def lockout_of(*, account: int, address: int, account_limit: int, address_limit: int) -> Lockout:
    """Which of the two limits the failures in the cool-off window have reached."""
    return Lockout(account=account >= account_limit, address=address >= address_limit)
