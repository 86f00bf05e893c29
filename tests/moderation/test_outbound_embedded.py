"""The SSRF guard decodes IPv4 addresses carried inside IPv6 ones (NAT64, 6to4,
IPv4-compatible, IPv4-mapped, Teredo, ISATAP), and takes every numeric IPv4 spelling the
resolver accepts as an address, both when an endpoint is created and when it is called."""

from __future__ import annotations

from typing import Any

import pytest

from moderation import outbound
from moderation.services.webhooks import InvalidEndpoint, webhook_endpoint_create

BLOCKED = [
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
    "[64:ff9b:1::a00:1]",  # local-use NAT64 of 10.0.0.1
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[::169.254.169.254]",  # IPv4-compatible
    "[::127.0.0.1]",
    "[::ffff:10.1.2.3]",  # IPv4-mapped
    "[::ffff:7f00:1]",
    "[fe80::5efe:a00:1]",  # ISATAP
    "127.1",
    "0x7f000001",
    "2130706433",
    "0",
    "0177.0.0.1",
    "127.0.0.1.",
    "0xa9.0xfe.0xa9.0xfe",
]
PUBLIC = ["[64:ff9b::5db8:d70e]", "[2002:5db8:d70e::1]", "93.184.215.14", "1563023118"]


@pytest.mark.parametrize("host", BLOCKED)
@pytest.mark.django_db
def test_embedded_and_numeric_forms_are_refused_at_creation(
    platform: Any, host: str, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # the test settings allow 127.0.0.1 for receivers
    with pytest.raises(InvalidEndpoint, match="resolves to"):
        webhook_endpoint_create(platform=platform, url=f"http://{host}/hook")


@pytest.mark.parametrize("host", BLOCKED)
def test_embedded_and_numeric_forms_are_refused_at_send(host: str) -> None:
    with pytest.raises(outbound.UnsafeUrl):
        outbound.post_json(
            f"http://{host}:9/hook",
            b"{}",
            {},
            allowed_networks=[],
            timeout_seconds=1,
        )


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_in_the_same_forms_stay_allowed(host: str) -> None:
    address = outbound.literal_address(host)

    assert address is not None
    assert not outbound.address_is_blocked(address, [])


def test_teredo_carries_its_server_and_client() -> None:
    import ipaddress

    address = ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:3fff:fdd2")

    assert [str(a) for a in outbound.embedded_ipv4(address)] == ["65.54.227.120", "192.0.2.45"]
    assert outbound.address_is_blocked(address, [])  # its client is a documentation address


def test_names_are_still_names() -> None:
    assert outbound.literal_address("cafe.be") is None
    assert outbound.literal_address("example.com") is None
