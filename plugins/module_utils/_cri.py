# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Minimal CRI (Container Runtime Interface) client, standard library only.

Private to this collection. Speaks gRPC over HTTP/2 cleartext (prior
knowledge) on a unix socket, one connection and one stream per call, which is
how kubelet and crictl reach containerd or CRI-O. Only the unary calls a pull
diagnosis needs are implemented, with hand-written protobuf for their messages.

Every failure is a CriError whose kind tells a diagnosis what went wrong
(socket missing, stale, forbidden, silent, speaking something else, or the
runtime answered with a gRPC error).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import socket
import stat
import struct
import time

from urllib.parse import unquote

from ansible_collections.kubenode.pullfix.plugins.module_utils._hpack import (
    Decoder,
    HpackError,
    encode_headers,
)


RUNTIME_SERVICE = "runtime.v1.RuntimeService"
IMAGE_SERVICE = "runtime.v1.ImageService"

# What kubelet sends as VersionRequest.version.
_KUBELET_API_VERSION = "0.1.0"

GRPC_STATUS_NAMES = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}
GRPC_UNIMPLEMENTED = 12

ERROR_KINDS = (
    "missing",
    "not_socket",
    "refused",
    "permission_denied",
    "timeout",
    "unimplemented",
    "grpc",
    "protocol",
)


class CriError(Exception):
    """A CRI call failed.

    kind: one of ERROR_KINDS; grpc_status: the gRPC status code when the
    runtime answered with one, else None; message: what went wrong, without
    the endpoint (str() adds endpoint and method, on one line).
    """

    def __init__(self, kind, message, grpc_status=None, endpoint=None, method=None):
        super(CriError, self).__init__(kind, message)
        self.kind = kind
        self.message = message
        self.grpc_status = grpc_status
        self.endpoint = endpoint
        self.method = method

    def __str__(self):
        where = "CRI endpoint %s" % (self.endpoint or "?")
        if self.method:
            where += " (%s)" % self.method
        if self.grpc_status is not None:
            text = "%s [grpc-status %d %s]" % (
                self.message or "(no message)",
                self.grpc_status,
                GRPC_STATUS_NAMES.get(self.grpc_status, "?"),
            )
        else:
            text = "%s: %s" % (self.kind, self.message)
        return " ".join(("%s: %s" % (where, text)).split())


def parse_endpoint(endpoint):
    """Return the socket path of a CRI endpoint.

    Accepts unix:///path, unix:/path and a bare absolute path, as kubelet's
    --container-runtime-endpoint / --image-service-endpoint do.
    """
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ValueError("CRI endpoint must be a non-empty string, got %r" % (endpoint,))
    endpoint = endpoint.strip()
    if endpoint.startswith("unix://"):
        path = endpoint[len("unix://"):]
    elif endpoint.startswith("unix:"):
        path = endpoint[len("unix:"):]
    elif "://" in endpoint:
        raise ValueError(
            "unsupported CRI endpoint %r: only unix sockets are supported "
            "(unix:///path/to/socket or /path/to/socket)" % endpoint
        )
    else:
        path = endpoint
    if not path.startswith("/"):
        raise ValueError("CRI endpoint %r does not name an absolute unix socket path" % endpoint)
    return path


# ---------------------------------------------------------------------------
# Protobuf (proto3 wire format), only what the CRI messages below use.

class ProtoError(ValueError):
    """A message that is not valid protobuf."""


_WIRE_VARINT = 0
_WIRE_FIXED64 = 1
_WIRE_BYTES = 2
_WIRE_FIXED32 = 5


def encode_varint(value):
    if value < 0:
        value &= (1 << 64) - 1  # int64 negative numbers are 10-byte varints
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data, pos):
    value = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ProtoError("truncated varint")
        octet = data[pos]
        pos += 1
        value |= (octet & 0x7F) << shift
        if not octet & 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ProtoError("varint longer than 10 bytes")


def _key(number, wire_type):
    return encode_varint((number << 3) | wire_type)


def _bytes_field(number, payload):
    return _key(number, _WIRE_BYTES) + encode_varint(len(payload)) + payload


def _string_field(number, text):
    # proto3 leaves default (empty) values off the wire.
    if not text:
        return b""
    return _bytes_field(number, text.encode("utf-8"))


def _bool_field(number, flag):
    if not flag:
        return b""
    return _key(number, _WIRE_VARINT) + b"\x01"


def decode_fields(data):
    """Parse a message into {field number: [values]} (int for varints, bytes for
    length-delimited fields); fixed32/fixed64 fields are skipped."""
    data = bytearray(data)
    fields = {}
    pos = 0
    while pos < len(data):
        key, pos = decode_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ProtoError("field number 0")
        if wire_type == _WIRE_VARINT:
            value, pos = decode_varint(data, pos)
        elif wire_type == _WIRE_BYTES:
            length, pos = decode_varint(data, pos)
            if pos + length > len(data):
                raise ProtoError("truncated length-delimited field %d" % number)
            value = bytes(data[pos:pos + length])
            pos += length
        elif wire_type in (_WIRE_FIXED64, _WIRE_FIXED32):
            pos += 8 if wire_type == _WIRE_FIXED64 else 4
            if pos > len(data):
                raise ProtoError("truncated fixed-size field %d" % number)
            continue
        else:
            raise ProtoError("unsupported wire type %d in field %d" % (wire_type, number))
        fields.setdefault(number, []).append(value)
    return fields


def _last_str(fields, number):
    values = fields.get(number)
    if not values:
        return ""
    if not isinstance(values[-1], bytes):
        raise ProtoError("field %d is not a string" % number)
    return values[-1].decode("utf-8", "replace")


def _all_str(fields, number):
    values = fields.get(number, [])
    if any(not isinstance(value, bytes) for value in values):
        raise ProtoError("field %d is not a string" % number)
    return [value.decode("utf-8", "replace") for value in values]


def _last_int(fields, number):
    values = fields.get(number)
    if not values:
        return 0
    if not isinstance(values[-1], int):
        raise ProtoError("field %d is not a varint" % number)
    return values[-1]


_AUTH_FIELDS = ("username", "password", "auth", "server_address", "identity_token", "registry_token")


def encode_version_request(api_version=_KUBELET_API_VERSION):
    return _string_field(1, api_version)


def decode_version_response(data):
    fields = decode_fields(data)
    return {
        "version": _last_str(fields, 1),
        "runtime_name": _last_str(fields, 2),
        "runtime_version": _last_str(fields, 3),
        "runtime_api_version": _last_str(fields, 4),
    }


def _image_spec(image):
    return _string_field(1, image)


def encode_pull_image_request(image, auth=None):
    message = _bytes_field(1, _image_spec(image))
    if auth:
        unknown = sorted(set(auth) - set(_AUTH_FIELDS))
        if unknown:
            # Name the keys only: values may be secrets.
            raise ValueError("unknown auth field(s): %s" % ", ".join(unknown))
        config = b"".join(
            _string_field(number, auth.get(name) or "")
            for number, name in enumerate(_AUTH_FIELDS, 1)
        )
        if config:
            message += _bytes_field(2, config)
    return message


def decode_pull_image_response(data):
    return _last_str(decode_fields(data), 1)


def encode_image_status_request(image, verbose=False):
    return _bytes_field(1, _image_spec(image)) + _bool_field(2, verbose)


def decode_image_status_response(data):
    fields = decode_fields(data)
    images = fields.get(1)
    if not images:
        return {"present": False, "id": None, "repo_tags": [], "repo_digests": [], "size": None}
    if not isinstance(images[-1], bytes):
        raise ProtoError("ImageStatusResponse.image is not a message")
    image = decode_fields(images[-1])
    return {
        "present": True,
        "id": _last_str(image, 1),
        "repo_tags": _all_str(image, 2),
        "repo_digests": _all_str(image, 3),
        "size": _last_int(image, 4),
    }


def encode_status_request(verbose=True):
    """StatusRequest: 1 verbose (bool)."""
    return _bool_field(1, verbose)


def _decode_message(fields, number, what):
    values = fields.get(number) or []
    if any(not isinstance(value, bytes) for value in values):
        raise ProtoError("%s is not a message" % what)
    return [decode_fields(value) for value in values]


def _flags(fields, names):
    """Bool fields numbered 1.. in the order of names."""
    return dict((name, bool(_last_int(fields, number))) for number, name in enumerate(names, 1))


def decode_status_response(data):
    """StatusResponse: 1 status (RuntimeStatus: 1 conditions), 2 info (map<string, string>),
    3 runtime_handlers (1 name, 2 features), 4 features; per cri-api pkg/apis/runtime/v1/api.proto.

    Returns {"conditions": [{"type", "status", "reason", "message"}], "info": {key: raw string},
    "runtime_handlers": [{"name", "features"}], "features": {...} or None}.
    """
    fields = decode_fields(data)
    conditions = []
    for status in _decode_message(fields, 1, "StatusResponse.status"):
        for cond in _decode_message(status, 1, "RuntimeStatus.conditions"):
            conditions.append({"type": _last_str(cond, 1), "status": bool(_last_int(cond, 2)),
                               "reason": _last_str(cond, 3), "message": _last_str(cond, 4)})
    info = {}
    for entry in _decode_message(fields, 2, "StatusResponse.info"):
        info[_last_str(entry, 1)] = _last_str(entry, 2)
    handlers = []
    for handler in _decode_message(fields, 3, "StatusResponse.runtime_handlers"):
        features = _decode_message(handler, 2, "RuntimeHandler.features")
        handlers.append({"name": _last_str(handler, 1), "features": _flags(
            features[-1], ("recursive_read_only_mounts", "user_namespaces")) if features else None})
    features = _decode_message(fields, 4, "StatusResponse.features")
    return {"conditions": conditions, "info": info, "runtime_handlers": handlers,
            "features": _flags(features[-1], ("supplemental_groups_policy", "user_namespaces_host_network",
                                              "mount_options")) if features else None}


# ---------------------------------------------------------------------------
# gRPC message framing: 1-byte compressed flag, 4-byte big-endian length.

def grpc_frame(message):
    return struct.pack(">BI", 0, len(message)) + message


def grpc_unframe(data):
    """Split a gRPC body into its messages; raises ProtoError when malformed."""
    messages = []
    pos = 0
    while pos < len(data):
        if pos + 5 > len(data):
            raise ProtoError("truncated gRPC message prefix")
        compressed, length = struct.unpack(">BI", bytes(data[pos:pos + 5]))
        if compressed:
            # We never offer grpc-accept-encoding, so a compressed reply is a broken peer.
            raise ProtoError("compressed gRPC message although no compression was offered")
        pos += 5
        if pos + length > len(data):
            raise ProtoError("truncated gRPC message")
        messages.append(bytes(data[pos:pos + length]))
        pos += length
    return messages


# ---------------------------------------------------------------------------
# HTTP/2 framing (RFC 7540).

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA = 0x0
HEADERS = 0x1
PRIORITY = 0x2
RST_STREAM = 0x3
SETTINGS = 0x4
PUSH_PROMISE = 0x5
PING = 0x6
GOAWAY = 0x7
WINDOW_UPDATE = 0x8
CONTINUATION = 0x9

FLAG_END_STREAM = 0x1
FLAG_ACK = 0x1
FLAG_END_HEADERS = 0x4
FLAG_PADDED = 0x8
FLAG_PRIORITY = 0x20

SETTINGS_HEADER_TABLE_SIZE = 0x1
SETTINGS_ENABLE_PUSH = 0x2
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5

DEFAULT_WINDOW = 65535
DEFAULT_MAX_FRAME = 16384
_MASK31 = (1 << 31) - 1  # stream ids and window sizes are 31-bit

H2_ERROR_NAMES = {
    0x0: "NO_ERROR",
    0x1: "PROTOCOL_ERROR",
    0x2: "INTERNAL_ERROR",
    0x3: "FLOW_CONTROL_ERROR",
    0x4: "SETTINGS_TIMEOUT",
    0x5: "STREAM_CLOSED",
    0x6: "FRAME_SIZE_ERROR",
    0x7: "REFUSED_STREAM",
    0x8: "CANCEL",
    0x9: "COMPRESSION_ERROR",
    0xA: "CONNECT_ERROR",
    0xB: "ENHANCE_YOUR_CALM",
    0xC: "INADEQUATE_SECURITY",
    0xD: "HTTP_1_1_REQUIRED",
}

# A gRPC reply bigger than this is not a CRI image reply; stop reading.
_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

_STREAM_ID = 1


def encode_frame(frame_type, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", frame_type, flags, stream_id & _MASK31) + payload


def decode_frame_header(header):
    """(length, type, flags, stream_id) from the 9-octet frame header."""
    high, low, frame_type, flags, stream_id = struct.unpack(">BHBBI", bytes(header))
    return (high << 16) | low, frame_type, flags, stream_id & _MASK31


def encode_settings(settings, ack=False):
    payload = b"".join(struct.pack(">HI", key, value) for key, value in settings)
    return encode_frame(SETTINGS, FLAG_ACK if ack else 0, 0, payload)


def encode_window_update(stream_id, increment):
    return encode_frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment))


def _error_name(code):
    return H2_ERROR_NAMES.get(code, "0x%x" % code)


def _strip_padding(flags, payload, allow_priority):
    """Remove the pad length octet, padding and (HEADERS only) priority fields."""
    start = 0
    end = len(payload)
    if flags & FLAG_PADDED:
        if not payload:
            raise CriError("protocol", "padded frame without pad length")
        end -= payload[0]
        start = 1
    if allow_priority and flags & FLAG_PRIORITY:
        start += 5
    if start > end:
        raise CriError("protocol", "frame padding longer than the frame")
    return payload[start:end]


def _parse_settings(payload):
    if len(payload) % 6:
        raise CriError("protocol", "SETTINGS frame length %d is not a multiple of 6" % len(payload))
    return [struct.unpack(">HI", payload[i:i + 6]) for i in range(0, len(payload), 6)]


class _Call:
    """One unary gRPC call on an already connected socket."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.inbuf = bytearray()
        self.decoder = Decoder()
        self.peer_max_frame = DEFAULT_MAX_FRAME
        self.peer_initial_window = DEFAULT_WINDOW
        self.conn_send_window = DEFAULT_WINDOW
        self.stream_send_window = DEFAULT_WINDOW
        self.body_to_send = b""
        self.header_block = None  # fragments of a HEADERS block awaiting CONTINUATION
        self.header_end_stream = False
        self.response_headers = None
        self.trailers = None
        self.data = bytearray()
        self.stream_closed = False
        self.goaway = None

    # -- socket helpers, all bounded by the call deadline --

    def _remaining(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        return remaining

    def _send(self, data):
        self.sock.settimeout(self._remaining())
        self.sock.sendall(data)

    def _fill(self, need):
        while len(self.inbuf) < need:
            self.sock.settimeout(self._remaining())
            chunk = self.sock.recv(65536)
            if not chunk:
                raise CriError("protocol", self._closed_message())
            self.inbuf += chunk

    def _closed_message(self):
        if self.goaway:
            return "connection closed by the runtime after GOAWAY %s%s" % self.goaway
        if self.response_headers is None and not self.inbuf:
            return "connection closed by the runtime before it answered (not an HTTP/2 gRPC server?)"
        return "connection closed by the runtime before the call completed"

    def _read_frame(self):
        self._fill(9)
        length, frame_type, flags, stream_id = decode_frame_header(self.inbuf[:9])
        if length > DEFAULT_MAX_FRAME:
            # We never raise SETTINGS_MAX_FRAME_SIZE, so this is not HTTP/2.
            raise CriError("protocol", "frame of %d octets exceeds the 16384 allowed (not an HTTP/2 peer?)" % length)
        self._fill(9 + length)
        payload = bytes(self.inbuf[9:9 + length])
        del self.inbuf[:9 + length]
        return frame_type, flags, stream_id, payload

    # -- sending --

    def _data_frames(self):
        """As much of the request body as the peer's flow-control windows allow."""
        out = []
        while self.body_to_send:
            size = min(len(self.body_to_send), self.peer_max_frame, self.conn_send_window, self.stream_send_window)
            if size <= 0:
                break
            chunk = self.body_to_send[:size]
            self.body_to_send = self.body_to_send[size:]
            self.conn_send_window -= size
            self.stream_send_window -= size
            flags = 0 if self.body_to_send else FLAG_END_STREAM
            out.append(encode_frame(DATA, flags, _STREAM_ID, chunk))
        return b"".join(out)

    def _request_headers(self, path):
        block = encode_headers((
            (":method", "POST"),
            (":scheme", "http"),
            (":path", path),
            (":authority", "localhost"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("user-agent", "kubenode.pullfix-cri/0.1"),
        ))
        frames = []
        limit = DEFAULT_MAX_FRAME  # the peer's SETTINGS have not arrived yet
        first, block = block[:limit], block[limit:]
        flags = 0 if block else FLAG_END_HEADERS
        frames.append(encode_frame(HEADERS, flags, _STREAM_ID, first))
        while block:
            fragment, block = block[:limit], block[limit:]
            frames.append(encode_frame(CONTINUATION, 0 if block else FLAG_END_HEADERS, _STREAM_ID, fragment))
        return b"".join(frames)

    # -- receiving --

    def _on_settings(self, flags, stream_id, payload):
        if stream_id != 0:
            raise CriError("protocol", "SETTINGS frame on stream %d" % stream_id)
        if flags & FLAG_ACK:
            return
        for key, value in _parse_settings(payload):
            if key == SETTINGS_INITIAL_WINDOW_SIZE:
                if value > _MASK31:
                    raise CriError("protocol", "SETTINGS_INITIAL_WINDOW_SIZE %d is too large" % value)
                # Applies retroactively to open streams (RFC 7540 6.9.2).
                self.stream_send_window += value - self.peer_initial_window
                self.peer_initial_window = value
            elif key == SETTINGS_MAX_FRAME_SIZE:
                if not DEFAULT_MAX_FRAME <= value <= (1 << 24) - 1:
                    raise CriError("protocol", "SETTINGS_MAX_FRAME_SIZE %d is out of range" % value)
                self.peer_max_frame = value
        self._send(encode_settings((), ack=True) + self._data_frames())

    def _on_headers(self, frame_type, flags, stream_id, payload):
        if stream_id != _STREAM_ID:
            # HPACK state is per connection, so a block we skipped would
            # corrupt every later one; a one-stream client has no use for it.
            raise CriError("protocol", "header block on unexpected stream %d" % stream_id)
        if frame_type == HEADERS:
            if self.header_block is not None:
                raise CriError("protocol", "HEADERS while a header block was still open")
            self.header_block = bytearray(_strip_padding(flags, payload, allow_priority=True))
            self.header_end_stream = bool(flags & FLAG_END_STREAM)
        else:
            if self.header_block is None:
                raise CriError("protocol", "CONTINUATION without HEADERS")
            self.header_block += payload
        if not flags & FLAG_END_HEADERS:
            return
        headers = self.decoder.decode(self.header_block)
        self.header_block = None
        if self.response_headers is None:
            self.response_headers = headers
        elif self.trailers is None and self.header_end_stream:
            self.trailers = headers
        else:
            raise CriError("protocol", "unexpected extra header block")
        if self.header_end_stream:
            self.stream_closed = True

    def _on_data(self, flags, stream_id, payload):
        if stream_id != _STREAM_ID:
            raise CriError("protocol", "DATA on unexpected stream %d" % stream_id)
        if self.response_headers is None:
            raise CriError("protocol", "DATA before response headers")
        self.data += _strip_padding(flags, payload, allow_priority=False)
        if len(self.data) > _MAX_RESPONSE_BYTES:
            raise CriError("protocol", "response larger than %d bytes" % _MAX_RESPONSE_BYTES)
        if flags & FLAG_END_STREAM:
            # The call is over and the connection is closed next: no credit to return.
            self.stream_closed = True
        elif payload:
            # Give the credit straight back (padding counts too), so replies
            # larger than the 64 KiB default windows keep flowing.
            self._send(encode_window_update(0, len(payload)) + encode_window_update(_STREAM_ID, len(payload)))

    def _on_window_update(self, stream_id, payload):
        if len(payload) != 4:
            raise CriError("protocol", "WINDOW_UPDATE frame of %d octets" % len(payload))
        increment = struct.unpack(">I", payload)[0] & _MASK31
        if stream_id == 0:
            self.conn_send_window += increment
        elif stream_id == _STREAM_ID:
            self.stream_send_window += increment
        if self.body_to_send:
            more = self._data_frames()
            if more:
                self._send(more)

    def _on_goaway(self, payload):
        if len(payload) < 8:
            raise CriError("protocol", "GOAWAY frame of %d octets" % len(payload))
        last_stream, code = struct.unpack(">II", payload[:8])
        last_stream &= _MASK31
        debug = payload[8:].decode("utf-8", "replace")
        self.goaway = (_error_name(code), (": " + debug) if debug else "")
        if last_stream < _STREAM_ID:
            raise CriError("protocol", "runtime refused the call with GOAWAY %s%s" % self.goaway)
        # Otherwise our stream is still being served; keep reading.

    def _check_preface(self):
        """The server's first frame must be SETTINGS; anything else is not HTTP/2."""
        self._fill(9)
        head = bytes(self.inbuf[:9])
        if head.startswith(b"HTTP/"):
            raise CriError("protocol", "peer answered with HTTP/1.x, not HTTP/2 (not a gRPC server)")
        frame_type, flags, stream_id = head[3], head[4], decode_frame_header(head)[3]
        if frame_type != SETTINGS or flags & FLAG_ACK or stream_id != 0:
            raise CriError("protocol", "peer did not start with an HTTP/2 SETTINGS frame (got %r)" % head)

    def run(self, method, message):
        self.body_to_send = grpc_frame(message)
        settings = encode_settings((
            (SETTINGS_ENABLE_PUSH, 0),
            (SETTINGS_HEADER_TABLE_SIZE, self.decoder.settings_max_size),
        ))
        # Preface, request headers and body in one write: the peer's SETTINGS
        # are not needed first, the defaults cover a small request.
        self._send(PREFACE + settings + self._request_headers("/" + method) + self._data_frames())
        self._check_preface()
        while not self.stream_closed:
            frame_type, flags, stream_id, payload = self._read_frame()
            if frame_type in (HEADERS, CONTINUATION):
                self._on_headers(frame_type, flags, stream_id, payload)
            elif self.header_block is not None:
                raise CriError("protocol", "frame type %d inside a header block" % frame_type)
            elif frame_type == DATA:
                self._on_data(flags, stream_id, payload)
            elif frame_type == SETTINGS:
                self._on_settings(flags, stream_id, payload)
            elif frame_type == PING:
                if len(payload) != 8:
                    raise CriError("protocol", "PING frame of %d octets" % len(payload))
                if not flags & FLAG_ACK:
                    self._send(encode_frame(PING, FLAG_ACK, 0, payload))
            elif frame_type == WINDOW_UPDATE:
                self._on_window_update(stream_id, payload)
            elif frame_type == RST_STREAM:
                if stream_id == _STREAM_ID:
                    code = struct.unpack(">I", payload[:4])[0] if len(payload) >= 4 else -1
                    raise CriError("protocol", "runtime reset the stream (%s)" % _error_name(code))
            elif frame_type == GOAWAY:
                self._on_goaway(payload)
            elif frame_type == PUSH_PROMISE:
                raise CriError("protocol", "PUSH_PROMISE although push was disabled")
            # PRIORITY and unknown frame types are ignored (RFC 7540 4.1).
        return self._result()

    def _result(self):
        headers = dict(self.response_headers)
        trailers = dict(self.trailers) if self.trailers is not None else headers
        status = trailers.get("grpc-status")
        if status is None:
            http_status = headers.get(":status")
            if http_status != "200":
                raise CriError("protocol", "HTTP status %s without grpc-status (not a gRPC server)" % http_status)
            raise CriError("protocol", "call ended without grpc-status")
        try:
            code = int(status)
        except ValueError:
            raise CriError("protocol", "invalid grpc-status %r" % status)
        if code != 0:
            message = unquote(trailers.get("grpc-message", ""))
            kind = "unimplemented" if code == GRPC_UNIMPLEMENTED else "grpc"
            raise CriError(kind, message, grpc_status=code)
        if not headers.get("content-type", "").startswith("application/grpc"):
            raise CriError("protocol", "response content-type %r is not gRPC" % headers.get("content-type"))
        messages = grpc_unframe(self.data)
        if len(messages) != 1:
            raise CriError("protocol", "unary call returned %d messages" % len(messages))
        return messages[0]


def _connect(path, deadline):
    """Open the unix socket, classifying every way that can fail."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise CriError("permission_denied", "cannot access %s: %s" % (path, exc.strerror))
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise CriError("missing", "socket %s does not exist" % path)
        raise CriError("missing", "cannot stat %s: %s" % (path, exc.strerror))
    if not stat.S_ISSOCK(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "a regular file" if stat.S_ISREG(mode) else "not a socket"
        raise CriError("not_socket", "%s is %s, not a unix socket" % (path, what))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        sock.settimeout(remaining)
        sock.connect(path)
    except socket.timeout:
        sock.close()
        raise CriError("timeout", "connecting to %s timed out" % path)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.ECONNREFUSED:
            raise CriError("refused", "nothing is listening on %s (stale socket; is the runtime running?)" % path)
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise CriError("permission_denied", "not allowed to connect to %s: %s" % (path, exc.strerror))
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise CriError("missing", "socket %s does not exist" % path)
        if exc.errno == errno.EAGAIN:
            raise CriError("timeout", "%s is not accepting connections (listen backlog full)" % path)
        raise CriError("refused", "cannot connect to %s: %s" % (path, exc.strerror or exc))
    return sock


def call(endpoint, method, message, timeout):
    """Make one unary call; returns the reply message bytes or raises CriError.

    method is "package.Service/Method". The timeout bounds connect and
    exchange together.
    """
    path = parse_endpoint(endpoint)
    deadline = time.monotonic() + timeout
    sock = None
    try:
        sock = _connect(path, deadline)
        return _Call(sock, deadline).run(method, message)
    except CriError as exc:
        exc.endpoint = endpoint
        exc.method = method
        raise
    except socket.timeout:
        raise CriError("timeout", "no complete answer within %gs" % timeout, endpoint=endpoint, method=method)
    except (HpackError, ProtoError) as exc:
        raise CriError("protocol", "malformed reply: %s" % exc, endpoint=endpoint, method=method)
    except OSError as exc:
        # Reset or broken pipe mid-call: the peer hung up on HTTP/2.
        raise CriError("protocol", "connection failed during the call: %s" % (exc.strerror or exc),
                       endpoint=endpoint, method=method)
    finally:
        if sock is not None:
            sock.close()


def _decode_reply(decoder, data, endpoint, method):
    try:
        return decoder(data)
    except ProtoError as exc:
        raise CriError("protocol", "malformed reply message: %s" % exc, endpoint=endpoint, method=method)


def version(endpoint, timeout=5.0):
    """RuntimeService.Version: {"version", "runtime_name", "runtime_version", "runtime_api_version"}."""
    method = RUNTIME_SERVICE + "/Version"
    reply = call(endpoint, method, encode_version_request(), timeout)
    return _decode_reply(decode_version_response, reply, endpoint, method)


def runtime_status(endpoint, verbose=True, timeout=5.0):
    """RuntimeService.Status; with verbose the runtime adds its own view in ``info`` (see decode_status_response)."""
    method = RUNTIME_SERVICE + "/Status"
    reply = call(endpoint, method, encode_status_request(verbose), timeout)
    return _decode_reply(decode_status_response, reply, endpoint, method)


def image_status(endpoint, image, timeout=5.0):
    """ImageService.ImageStatus: {"present", "id", "repo_tags", "repo_digests", "size"}."""
    method = IMAGE_SERVICE + "/ImageStatus"
    reply = call(endpoint, method, encode_image_status_request(image), timeout)
    return _decode_reply(decode_image_status_response, reply, endpoint, method)


def _redact(text, auth):
    for name in _AUTH_FIELDS:
        secret = (auth or {}).get(name)
        # server_address and username are not secret and short values would
        # blank out unrelated words.
        if secret and name not in ("server_address", "username") and len(secret) >= 4:
            text = text.replace(secret, "********")
    return text


def pull_image(endpoint, image, auth=None, timeout=120.0):
    """ImageService.PullImage; returns the image reference the runtime stored.

    auth takes the CRI AuthConfig field names. Its values never appear in
    errors, even if the runtime echoes them back.
    """
    method = IMAGE_SERVICE + "/PullImage"
    request = encode_pull_image_request(image, auth)
    try:
        reply = call(endpoint, method, request, timeout)
    except CriError as exc:
        if auth and exc.message:
            exc.message = _redact(exc.message, auth)
            exc.args = (exc.kind, exc.message)
        raise
    return _decode_reply(decode_pull_image_response, reply, endpoint, method)


def image_fs_info(endpoint, timeout=5.0):
    """ImageService.ImageFsInfo, used only as a cheap liveness probe of the image service."""
    method = IMAGE_SERVICE + "/ImageFsInfo"
    reply = call(endpoint, method, b"", timeout)
    _decode_reply(decode_fields, reply, endpoint, method)


def probe(endpoint, service="runtime", timeout=2.0):
    """Check that an endpoint serves the CRI runtime ("runtime") or image ("image") service.

    Never raises. Returns {"ok", "outcome", "grpc_status", "message", "version"}
    where outcome is "ok", a CriError kind, or "invalid_endpoint" when the
    endpoint string itself is unusable.
    """
    result = {"ok": False, "outcome": None, "grpc_status": None, "message": None, "version": None}
    try:
        if service == "runtime":
            result["version"] = version(endpoint, timeout=timeout)
        elif service == "image":
            image_fs_info(endpoint, timeout=timeout)
        else:
            raise ValueError("service must be 'runtime' or 'image', not %r" % (service,))
    except CriError as exc:
        result.update(outcome=exc.kind, grpc_status=exc.grpc_status, message=exc.message)
        return result
    except ValueError as exc:
        result.update(outcome="invalid_endpoint", message=str(exc))
        return result
    result.update(ok=True, outcome="ok")
    return result


def check_image(endpoint, image, pull=True, auth=None, timeout=60.0, check_mode=False):
    """ImageStatus, then PullImage (unless ``pull`` is false or in check mode), as one result entry.

    Never raises for the runtime's answers. Returns (entry, changed) where entry carries
    image, ok, image_ref, present_before, pulled, error, error_kind, grpc_status, elapsed_ms.
    """
    started = time.monotonic()
    entry = {"image": image, "ok": True, "image_ref": None, "present_before": None, "pulled": False,
             "error": None, "error_kind": None, "grpc_status": None}
    changed = False
    try:
        status = image_status(endpoint, image, timeout=timeout)
        entry["present_before"] = status["present"]
        if not pull or check_mode:
            entry["image_ref"] = status["id"]
            entry["repo_tags"] = status["repo_tags"]
            entry["repo_digests"] = status["repo_digests"]
            entry["size"] = status["size"]
            changed = pull and not status["present"]
        else:
            entry["image_ref"] = pull_image(endpoint, image, auth=auth, timeout=timeout)
            entry["pulled"] = True
            changed = not status["present"]
    except CriError as exc:
        entry.update(ok=False, error=str(exc), error_kind=exc.kind, grpc_status=exc.grpc_status)
    entry["elapsed_ms"] = int(round((time.monotonic() - started) * 1000))
    return entry, changed


def wait_until_serving(endpoint, timeout=60.0, interval=1.0):
    """Ask RuntimeService.Version until it answers or ``timeout`` seconds pass.

    Returns {"endpoint", "ok", "waited_ms", "error", "version"}; never raises for the runtime's answers.
    """
    started = time.monotonic()
    deadline = started + max(timeout, 0)
    result = {"endpoint": endpoint, "ok": False, "waited_ms": 0, "error": None, "version": None}
    while True:
        try:
            result["version"] = version(endpoint, timeout=min(2.0, max(timeout, 0.1)))
            result["ok"] = True
            result["error"] = None
            break
        except CriError as exc:
            result["error"] = str(exc)
        if time.monotonic() + interval > deadline:
            break
        time.sleep(interval)
    result["waited_ms"] = int(round((time.monotonic() - started) * 1000))
    return result
