# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils._hpack import (
    Decoder,
    HpackError,
    decode_integer,
    encode_headers,
    encode_integer,
    huffman_decode,
    huffman_encode,
)

# RFC 7541 Appendix C.3 / C.4: three requests on one connection, decoded in
# order so that later blocks refer to entries added by earlier ones.
REQUEST_1 = [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")]
REQUEST_2 = REQUEST_1 + [("cache-control", "no-cache")]
REQUEST_3 = [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"),
             (":authority", "www.example.com"), ("custom-key", "custom-value")]

EXPECTED = [
    (REQUEST_1, [(":authority", "www.example.com")], 57),
    (REQUEST_2, [("cache-control", "no-cache"), (":authority", "www.example.com")], 110),
    (REQUEST_3, [("custom-key", "custom-value"), ("cache-control", "no-cache"),
                 (":authority", "www.example.com")], 164),
]

C3_BLOCKS = [
    "828684410f7777772e6578616d706c652e636f6d",
    "828684be58086e6f2d6361636865",
    "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
]
C4_BLOCKS = [
    "828684418cf1e3c2e5f23a6ba0ab90f4ff",
    "828684be5886a8eb10649cbf",
    "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
]


@pytest.mark.parametrize("blocks", [C3_BLOCKS, C4_BLOCKS], ids=["C.3-plain", "C.4-huffman"])
def test_rfc7541_request_examples(blocks):
    decoder = Decoder()
    for block, (headers, table, size) in zip(blocks, EXPECTED):
        assert decoder.decode(bytes.fromhex(block)) == headers
        assert decoder.dynamic_table == table
        assert decoder.size == size


def test_huffman_strings_of_rfc_examples():
    assert huffman_decode(bytes.fromhex("f1e3c2e5f23a6ba0ab90f4ff")) == b"www.example.com"
    assert huffman_decode(bytes.fromhex("a8eb10649cbf")) == b"no-cache"
    assert huffman_encode(b"custom-key") == bytes.fromhex("25a849e95ba97d7f")


def test_huffman_round_trip_all_octets():
    data = bytes(bytearray(range(256))) + os.urandom(512)
    assert huffman_decode(huffman_encode(data)) == data
    assert huffman_decode(b"") == b""


@pytest.mark.parametrize("data, reason", [
    (b"\xff\xff\xff\xff", "EOS"),  # 30 ones decode to EOS, which must never appear
    (bytes.fromhex("f1e3c2e5f23a6ba0ab90f4") + b"\xfe", "padding is not all ones"),
    (bytes.fromhex("a8eb10649cbf") + b"\xff", "padding longer"),  # a whole octet of padding
    (b"\x00", "padding is not all ones"),  # '0' (00000) then padding 000
])
def test_malformed_huffman_is_rejected(data, reason):
    with pytest.raises(HpackError, match=reason):
        huffman_decode(data)


def test_malformed_huffman_inside_a_header_block():
    block = b"\x00\x01a\x81\x00"  # literal, value flagged Huffman, bad padding
    with pytest.raises(HpackError):
        Decoder().decode(block)


@pytest.mark.parametrize("value, prefix, encoded", [
    (10, 5, "0a"),  # RFC 7541 C.1.1
    (1337, 5, "1f9a0a"),  # C.1.2
    (42, 8, "2a"),  # C.1.3
    (31, 5, "1f00"),  # exactly 2^N-1 needs a zero continuation octet
    (30, 5, "1e"),
    (0, 1, "00"),
    (127, 7, "7f00"),
    (128, 7, "7f01"),
    (2 ** 21, 7, "7f81ff7f"),
])
def test_integer_round_trip(value, prefix, encoded):
    assert encode_integer(value, prefix).hex() == encoded
    assert decode_integer(bytearray.fromhex(encoded), 0, prefix) == (value, len(encoded) // 2)


def test_integer_ignores_flag_bits_and_reports_position():
    # High bits belong to the representation, not to the integer.
    assert decode_integer(bytearray.fromhex("ff9a0aee"), 0, 5) == (1337, 3)


@pytest.mark.parametrize("encoded", ["1f", "1f9a", "1fffffffffffff01", ""])
def test_integer_truncated_or_too_large(encoded):
    with pytest.raises(HpackError):
        decode_integer(bytearray.fromhex(encoded), 0, 5)


def test_dynamic_table_eviction_and_size_update():
    decoder = Decoder(max_table_size=100)
    decoder.decode(encode_headers([("x-a", "1" * 30)], indexing=True))  # 3 + 30 + 32 = 65
    decoder.decode(encode_headers([("x-b", "2")], indexing=True))  # 36: fits, 101 would not with 65
    assert decoder.dynamic_table == [("x-b", "2")]
    assert decoder.size == 36
    # Index 62 is the newest dynamic entry.
    assert decoder.decode(b"\xbe") == [("x-b", "2")]
    # A size update to 0 empties the table; later indexed references fail.
    assert decoder.decode(b"\x20") == []
    assert decoder.dynamic_table == []
    with pytest.raises(HpackError, match="beyond the dynamic table"):
        decoder.decode(b"\xbe")


def test_size_update_rules():
    decoder = Decoder(max_table_size=4096)
    with pytest.raises(HpackError, match="exceeds"):
        decoder.decode(encode_integer(8192, 5, 0x20))
    with pytest.raises(HpackError, match="after a header field"):
        decoder.decode(b"\x82\x20")


def test_entry_larger_than_table_empties_it():
    decoder = Decoder(max_table_size=64)
    decoder.decode(encode_headers([("a", "b")], indexing=True))
    decoder.decode(encode_headers([("big", "v" * 100)], indexing=True))
    assert decoder.dynamic_table == []
    assert decoder.size == 0


@pytest.mark.parametrize("block", ["80", "8286ff00", "0005616263", "000161"])
def test_invalid_blocks(block):
    # index 0; index far beyond the tables; truncated name; missing value
    with pytest.raises(HpackError):
        Decoder().decode(bytes.fromhex(block))


def test_encoder_output_decodes_to_the_same_headers():
    headers = [(":method", "POST"), (":path", "/runtime.v1.RuntimeService/Version"),
               ("content-type", "application/grpc"), ("te", "trailers"), ("x-custom", "caf\u00e9")]
    for huffman in (False, True):
        for indexing in (False, True):
            decoder = Decoder()
            assert decoder.decode(encode_headers(headers, huffman=huffman, indexing=indexing)) == headers
            assert bool(decoder.dynamic_table) == indexing
    # The client's own encoding is plain literals that leave no state in the peer.
    plain = encode_headers([("te", "trailers")])
    assert plain == b"\x00\x02te\x08trailers"
