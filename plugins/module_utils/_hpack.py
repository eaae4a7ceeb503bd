# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HPACK (RFC 7541) header compression for the CRI client.

Private to this collection. Decoding is complete (static and dynamic table,
Huffman strings); encoding only emits literals that are never added to the
peer's dynamic table, which is all a one-shot client needs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class HpackError(ValueError):
    """A header block that cannot be decoded (the peer is broken or not HTTP/2)."""


# RFC 7541 Appendix A. Index 1 is the first entry; index 0 is never valid.
STATIC_TABLE = (
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
)

_STATIC_RAW = tuple((_name.encode("ascii"), _value.encode("ascii")) for _name, _value in STATIC_TABLE)
_STATIC_NAME_INDEX = {}
for _index, (_name, _value) in enumerate(_STATIC_RAW, 1):
    _STATIC_NAME_INDEX.setdefault(_name, _index)

# RFC 7541 Appendix B, kept as the code length of each symbol (0-255 are
# octets, 256 is EOS). The RFC code is canonical: sorting symbols by
# (length, symbol) and counting upwards reproduces every code, so the lengths
# are all the table we need.
_HUFFMAN_LENGTHS = (
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,  # 0-15
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,  # 16-31
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,  # 32-47
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,  # 48-63
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  # 64-79
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,  # 80-95
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,  # 96-111
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,  # 112-127
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,  # 128-143
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,  # 144-159
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,  # 160-175
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,  # 176-191
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,  # 192-207
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,  # 208-223
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,  # 224-239
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,  # 240-255
    30,  # 256 (EOS)
)
_EOS = 256
_MAX_CODE_LENGTH = 30


def _build_huffman():
    """Derive the codes and the canonical decoding tables from the lengths.

    Returns (codes, first, by_length): codes[symbol] is the code as an int;
    for each length n, the valid codes of that length are the consecutive
    integers first[n] .. first[n] + len(by_length[n]) - 1, and
    by_length[n][code - first[n]] is the symbol.
    """
    by_length = [[] for _dummy in range(_MAX_CODE_LENGTH + 1)]
    for symbol, length in enumerate(_HUFFMAN_LENGTHS):
        by_length[length].append(symbol)
    codes = [0] * len(_HUFFMAN_LENGTHS)
    first = [0] * (_MAX_CODE_LENGTH + 1)
    code = 0
    for length in range(1, _MAX_CODE_LENGTH + 1):
        first[length] = code
        for symbol in by_length[length]:
            codes[symbol] = code
            code += 1
        code <<= 1
    return codes, first, [tuple(symbols) for symbols in by_length]


# Cheap (257 entries), so built once at import rather than per call.
_HUFFMAN_CODES, _HUFFMAN_FIRST, _HUFFMAN_BY_LENGTH = _build_huffman()
_HUFFMAN_COUNTS = [len(symbols) for symbols in _HUFFMAN_BY_LENGTH]


def huffman_decode(data):
    """Decode a Huffman-coded HPACK string literal; returns bytes."""
    first = _HUFFMAN_FIRST
    counts = _HUFFMAN_COUNTS
    by_length = _HUFFMAN_BY_LENGTH
    out = bytearray()
    code = 0
    nbits = 0
    for octet in bytearray(data):
        for shift in (7, 6, 5, 4, 3, 2, 1, 0):
            code = (code << 1) | ((octet >> shift) & 1)
            nbits += 1
            offset = code - first[nbits]
            # Canonical property: a complete code of this length lies in the
            # run; anything above it is the prefix of a longer code.
            if offset < counts[nbits]:
                symbol = by_length[nbits][offset]
                if symbol == _EOS:
                    raise HpackError("Huffman string contains the EOS symbol")
                out.append(symbol)
                code = 0
                nbits = 0
            elif nbits >= _MAX_CODE_LENGTH:
                raise HpackError("invalid Huffman code")
    # The tail must be padding: fewer than 8 bits, all ones (a prefix of EOS).
    if nbits > 7:
        raise HpackError("Huffman padding longer than 7 bits")
    if code != (1 << nbits) - 1:
        raise HpackError("Huffman padding is not all ones")
    return bytes(out)


def huffman_encode(data):
    """Huffman-code bytes. The client never needs this; tests and fake servers do."""
    acc = 0
    nbits = 0
    for octet in bytearray(data):
        length = _HUFFMAN_LENGTHS[octet]
        acc = (acc << length) | _HUFFMAN_CODES[octet]
        nbits += length
    pad = -nbits % 8
    acc = (acc << pad) | ((1 << pad) - 1)
    nbits += pad
    return _int_to_bytes(acc, nbits // 8)


def _int_to_bytes(value, size):
    out = bytearray(size)
    for i in range(size - 1, -1, -1):
        out[i] = value & 0xFF
        value >>= 8
    return bytes(out)


def encode_integer(value, prefix_bits, first_byte_flags=0):
    """RFC 7541 5.1: value with an N-bit prefix; flags fill the high bits of the first octet."""
    if value < 0:
        raise ValueError("HPACK integers are non-negative")
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes(bytearray([first_byte_flags | value]))
    out = bytearray([first_byte_flags | limit])
    value -= limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# Real header blocks never need more: 5 continuation octets reach 2**35.
_MAX_INTEGER_OCTETS = 5


def decode_integer(data, pos, prefix_bits):
    """RFC 7541 5.1: decode the integer starting at data[pos]; returns (value, next_pos)."""
    if pos >= len(data):
        raise HpackError("header block truncated inside an integer")
    limit = (1 << prefix_bits) - 1
    value = data[pos] & limit
    pos += 1
    if value < limit:
        return value, pos
    shift = 0
    for _dummy in range(_MAX_INTEGER_OCTETS):
        if pos >= len(data):
            raise HpackError("header block truncated inside an integer")
        octet = data[pos]
        pos += 1
        value += (octet & 0x7F) << shift
        shift += 7
        if not octet & 0x80:
            return value, pos
    raise HpackError("HPACK integer is too large")


def _decode_string(data, pos):
    if pos >= len(data):
        raise HpackError("header block truncated before a string")
    huffman = bool(data[pos] & 0x80)
    length, pos = decode_integer(data, pos, 7)
    end = pos + length
    if end > len(data):
        raise HpackError("header block truncated inside a string")
    raw = bytes(data[pos:end])
    if huffman:
        raw = huffman_decode(raw)
    return raw, end


def _text(raw):
    # Header octets are usually ASCII; never fail on odd bytes from a peer.
    return raw.decode("utf-8", "replace")


def _encode_string(raw, huffman=False):
    if huffman:
        raw = huffman_encode(raw)
        return encode_integer(len(raw), 7, 0x80) + raw
    return encode_integer(len(raw), 7) + raw


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8")


def encode_headers(headers, huffman=False, indexing=False):
    """Encode (name, value) pairs as one header block.

    The client uses the defaults: literals without indexing, no Huffman.
    huffman/indexing exist so tests can play a server that compresses the
    way Go's HTTP/2 stack does ("literal with incremental indexing").
    Names that are in the static table are sent by index.
    """
    out = bytearray()
    for name, value in headers:
        name = _as_bytes(name).lower()
        if indexing:
            prefix_bits, flags = 6, 0x40
        else:
            prefix_bits, flags = 4, 0x00
        index = _STATIC_NAME_INDEX.get(name, 0)
        out += encode_integer(index, prefix_bits, flags)
        if not index:
            out += _encode_string(name, huffman)
        out += _encode_string(_as_bytes(value), huffman)
    return bytes(out)


# RFC 7541 4.1: an entry costs its octets plus 32.
_ENTRY_OVERHEAD = 32


class Decoder:
    """Stateful header block decoder; one per HTTP/2 connection direction."""

    def __init__(self, max_table_size=4096):
        # The ceiling we announced (SETTINGS_HEADER_TABLE_SIZE); the peer may
        # shrink the table below it with a size update, never grow past it.
        self.settings_max_size = max_table_size
        self.max_size = max_table_size
        self.size = 0
        # Newest first, as (name, value, cost); raw octets because the size
        # accounting is in octets.
        self._entries = []

    @property
    def dynamic_table(self):
        """Dynamic table entries, newest first, as (name, value) str pairs."""
        return [(_text(name), _text(value)) for name, value, _cost in self._entries]

    def _evict(self):
        while self.size > self.max_size and self._entries:
            self.size -= self._entries.pop()[2]

    def _add(self, name, value):
        cost = len(name) + len(value) + _ENTRY_OVERHEAD
        self._entries.insert(0, (name, value, cost))
        self.size += cost
        # An entry larger than the table empties it and is not kept (4.4).
        self._evict()

    def _lookup(self, index):
        if index == 0:
            raise HpackError("HPACK index 0 is invalid")
        if index <= len(_STATIC_RAW):
            return _STATIC_RAW[index - 1]
        dynamic = index - len(_STATIC_RAW) - 1
        if dynamic >= len(self._entries):
            raise HpackError("HPACK index %d is beyond the dynamic table" % index)
        name, value, _cost = self._entries[dynamic]
        return name, value

    def decode(self, block):
        """Decode a complete header block; returns a list of (name, value) str pairs."""
        data = bytearray(block)
        headers = []
        pos = 0
        while pos < len(data):
            octet = data[pos]
            if octet & 0x80:  # indexed field
                index, pos = decode_integer(data, pos, 7)
                name, value = self._lookup(index)
                headers.append((_text(name), _text(value)))
                continue
            if octet & 0xE0 == 0x20:  # dynamic table size update
                if headers:
                    raise HpackError("HPACK table size update after a header field")
                size, pos = decode_integer(data, pos, 5)
                if size > self.settings_max_size:
                    raise HpackError("HPACK table size update %d exceeds the limit %d" % (size, self.settings_max_size))
                self.max_size = size
                self._evict()
                continue
            if octet & 0x40:  # literal with incremental indexing
                index, pos = decode_integer(data, pos, 6)
                add = True
            else:  # literal without indexing (0000) or never indexed (0001)
                index, pos = decode_integer(data, pos, 4)
                add = False
            if index:
                name = self._lookup(index)[0]
            else:
                name, pos = _decode_string(data, pos)
            value, pos = _decode_string(data, pos)
            if add:
                self._add(name, value)
            headers.append((_text(name), _text(value)))
        return headers
