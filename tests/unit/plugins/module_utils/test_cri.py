# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri
from ansible_collections.kubenode.pullfix.plugins.module_utils._cri import CriError
from ansible_collections.kubenode.pullfix.plugins.modules import cri_pull
from ansible_collections.kubenode.pullfix.tests.unit.plugins.module_utils.cri_testlib import (
    FakeGrpcServer,
    Request,
    run_module,
)

CONTAINERD = "/usr/bin/containerd"
# Refused on loopback at once: the pull fails without any traffic leaving the host.
UNPULLABLE = "127.0.0.1:1/nothing:1"


@pytest.fixture
def sockdir():
    # Short path: AF_UNIX socket paths are limited to 107 bytes.
    path = tempfile.mkdtemp(prefix="pullfix-cri-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


# --- endpoints -------------------------------------------------------------

@pytest.mark.parametrize("endpoint, path", [
    ("unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock"),
    ("unix:/run/crio/crio.sock", "/run/crio/crio.sock"),
    ("/var/run/cri-dockerd.sock", "/var/run/cri-dockerd.sock"),
    (" unix:///run/x.sock ", "/run/x.sock"),
])
def test_parse_endpoint(endpoint, path):
    assert _cri.parse_endpoint(endpoint) == path


@pytest.mark.parametrize("endpoint, match", [
    ("tcp://127.0.0.1:10010", "only unix sockets"),
    ("npipe:////./pipe/containerd", "only unix sockets"),
    ("unix://relative.sock", "absolute"),
    ("", "non-empty"),
    (None, "non-empty"),
])
def test_parse_endpoint_rejects(endpoint, match):
    with pytest.raises(ValueError, match=match):
        _cri.parse_endpoint(endpoint)


# --- framing and protobuf --------------------------------------------------

def test_http2_frame_round_trip():
    frame = _cri.encode_frame(_cri.HEADERS, _cri.FLAG_END_HEADERS | _cri.FLAG_END_STREAM, 1, b"abc")
    assert frame[:9] == b"\x00\x00\x03\x01\x05\x00\x00\x00\x01"
    assert _cri.decode_frame_header(frame[:9]) == (3, _cri.HEADERS, 5, 1)
    big = _cri.encode_frame(_cri.DATA, 0, 0x7FFFFFFF, b"x" * 70000)
    assert _cri.decode_frame_header(big[:9]) == (70000, _cri.DATA, 0, 0x7FFFFFFF)
    # The reserved bit of the stream id is ignored when reading.
    assert _cri.decode_frame_header(b"\x00\x00\x00\x00\x00\x80\x00\x00\x03")[3] == 3


def test_settings_and_window_update_frames():
    frame = _cri.encode_settings([(_cri.SETTINGS_ENABLE_PUSH, 0), (_cri.SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20)])
    assert _cri.decode_frame_header(frame[:9]) == (12, _cri.SETTINGS, 0, 0)
    assert _cri._parse_settings(frame[9:]) == [(2, 0), (4, 1 << 20)]
    assert _cri.encode_settings((), ack=True) == b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"
    update = _cri.encode_window_update(1, 40000)
    assert _cri.decode_frame_header(update[:9]) == (4, _cri.WINDOW_UPDATE, 0, 1)
    assert struct.unpack(">I", update[9:])[0] == 40000


def test_grpc_message_framing_round_trip():
    body = _cri.grpc_frame(b"hello") + _cri.grpc_frame(b"") + _cri.grpc_frame(b"x" * 100000)
    assert body[:5] == b"\x00\x00\x00\x00\x05"
    assert _cri.grpc_unframe(body) == [b"hello", b"", b"x" * 100000]
    with pytest.raises(_cri.ProtoError, match="truncated"):
        _cri.grpc_unframe(body[:-1])
    with pytest.raises(_cri.ProtoError, match="compressed"):
        _cri.grpc_unframe(b"\x01\x00\x00\x00\x00")


@pytest.mark.parametrize("value, encoded", [(0, "00"), (1, "01"), (150, "9601"), (300, "ac02"),
                                            (2 ** 64 - 1, "ffffffffffffffffff01")])
def test_varint(value, encoded):
    assert _cri.encode_varint(value).hex() == encoded
    assert _cri.decode_varint(bytearray.fromhex(encoded), 0) == (value, len(encoded) // 2)


def test_version_messages():
    assert _cri.encode_version_request("v1") == b"\x0a\x02v1"
    reply = b"\x0a\x050.1.0\x12\x0acontainerd\x1a\x061.6.20\x22\x02v1"
    assert _cri.decode_version_response(reply) == {
        "version": "0.1.0", "runtime_name": "containerd",
        "runtime_version": "1.6.20", "runtime_api_version": "v1",
    }


def test_pull_image_request_encoding():
    plain = _cri.encode_pull_image_request("busybox:1")
    assert plain == b"\x0a\x0b\x0a\x09busybox:1"
    with_auth = _cri.encode_pull_image_request(
        "busybox:1", {"username": "u", "password": "p", "server_address": "reg", "auth": None})
    fields = _cri.decode_fields(with_auth)
    assert _cri.decode_fields(fields[1][0]) == {1: [b"busybox:1"]}
    assert _cri.decode_fields(fields[2][0]) == {1: [b"u"], 2: [b"p"], 4: [b"reg"]}
    assert _cri.encode_pull_image_request("busybox:1", {"username": None}) == plain
    with pytest.raises(ValueError, match="token") as info:
        _cri.encode_pull_image_request("x", {"token": "s3cret"})
    assert "s3cret" not in str(info.value)


def test_pull_image_response():
    assert _cri.decode_pull_image_response(b"\x0a\x07sha256:") == "sha256:"
    assert _cri.decode_pull_image_response(b"") == ""


def test_image_status_messages():
    assert _cri.encode_image_status_request("a:1") == b"\x0a\x05\x0a\x03a:1"
    assert _cri.encode_image_status_request("a:1", verbose=True) == b"\x0a\x05\x0a\x03a:1\x10\x01"
    image = (b"\x0a\x04sha1" + b"\x12\x03a:1" + b"\x12\x03a:2" + b"\x1a\x05a@sha" + b"\x20" + _cri.encode_varint(2 ** 40)
             # unknown fields of every skippable wire type, as newer runtimes add them
             + b"\x29" + b"\x00" * 8 + b"\x35" + b"\x00" * 4 + b"\x40\x01" + b"\x3a\x00")
    reply = b"\x0a" + _cri.encode_varint(len(image)) + image + b"\x12\x00"
    assert _cri.decode_image_status_response(reply) == {
        "present": True, "id": "sha1", "repo_tags": ["a:1", "a:2"],
        "repo_digests": ["a@sha"], "size": 2 ** 40,
    }
    absent = _cri.decode_image_status_response(b"")
    assert absent["present"] is False and absent["repo_tags"] == []


@pytest.mark.parametrize("data", [b"\x0a\x05ab", b"\x08", b"\x0b", b"\x00\x00", b"\x0d\x00"])
def test_malformed_protobuf(data):
    # truncated string, truncated varint, group wire type, field 0, truncated fixed32
    with pytest.raises(_cri.ProtoError):
        _cri.decode_fields(data)


# --- outcomes without a runtime ------------------------------------------

def _error(func, *args, **kwargs):
    with pytest.raises(CriError) as info:
        func(*args, **kwargs)
    return info.value


def test_missing_socket(sockdir):
    endpoint = "unix://" + os.path.join(sockdir, "nope.sock")
    exc = _error(_cri.version, endpoint)
    assert exc.kind == "missing"
    assert exc.grpc_status is None
    assert endpoint in str(exc) and "\n" not in str(exc)
    result = _cri.probe(endpoint)
    assert result == {"ok": False, "outcome": "missing", "grpc_status": None,
                      "message": exc.message, "version": None}


def test_regular_file_and_directory_are_not_sockets(sockdir):
    regular = os.path.join(sockdir, "file")
    with open(regular, "w") as handle:
        handle.write("not a socket")
    assert _error(_cri.version, regular).kind == "not_socket"
    exc = _error(_cri.image_status, sockdir, "a:1")
    assert exc.kind == "not_socket"
    assert "directory" in exc.message


def test_stale_socket_is_refused(sockdir):
    path = os.path.join(sockdir, "stale.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()  # the file stays, nobody listens: a runtime that died
    assert _error(_cri.version, path).kind == "refused"
    assert _cri.probe(path, service="image")["outcome"] == "refused"


@pytest.mark.parametrize("err, kind", [(errno.EACCES, "permission_denied"), (errno.EPERM, "permission_denied"),
                                       (errno.ECONNREFUSED, "refused"), (errno.EAGAIN, "timeout")])
def test_connect_errors_are_classified(sockdir, monkeypatch, err, kind):
    # Root bypasses socket permissions, so the kernel's answer is simulated.
    path = os.path.join(sockdir, "x.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)

    def fail(self, address):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(socket.socket, "connect", fail)
    try:
        assert _error(_cri.version, path).kind == kind
    finally:
        listener.close()


def test_silent_listener_times_out(sockdir):
    path = os.path.join(sockdir, "silent.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)  # the kernel completes connects; nothing ever answers
    try:
        started = time.monotonic()
        exc = _error(_cri.version, path, timeout=0.5)
        elapsed = time.monotonic() - started
        assert exc.kind == "timeout"
        assert 0.4 <= elapsed < 2.0
        started = time.monotonic()
        result = _cri.probe(path, timeout=0.3)
        assert result["outcome"] == "timeout" and not result["ok"]
        assert time.monotonic() - started < 1.5
    finally:
        listener.close()


def test_timeout_covers_the_whole_call(sockdir):
    # A server that trickles PINGs forever must not extend the deadline.
    def responder(server, conn):
        conn.read_request()
        conn.send_settings()
        for _dummy in range(40):
            conn.send(_cri.encode_frame(_cri.PING, 0, 0, b"12345678"))
            time.sleep(0.05)

    with FakeGrpcServer(os.path.join(sockdir, "trickle.sock"), responder) as server:
        started = time.monotonic()
        assert _error(_cri.version, server.endpoint, timeout=0.6).kind == "timeout"
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("reply", [b"garbage!" * 4, b"HTTP/1.1 400 Bad Request\r\n\r\n", b"", b"\x00\x00"])
def test_non_http2_peer_is_a_protocol_error(sockdir, reply):
    def responder(server, conn):
        conn.sock.recv(65536)
        conn.sock.sendall(reply)
        conn.sock.shutdown(socket.SHUT_WR)

    with FakeGrpcServer(os.path.join(sockdir, "junk.sock"), responder) as server:
        exc = _error(_cri.version, server.endpoint, timeout=5)
    assert exc.kind == "protocol"
    assert exc.grpc_status is None
    if reply.startswith(b"HTTP/"):
        assert "HTTP/1" in exc.message


# --- fake gRPC server ------------------------------------------------------

def test_request_as_seen_by_the_server(sockdir):
    def responder(server, conn):
        server.requests.append(conn.read_request())
        conn.send_settings()
        conn.send_reply(b"\x0a\x07sha256:")

    auth = {"username": "robot", "password": "hunter22"}
    with FakeGrpcServer(os.path.join(sockdir, "cri.sock"), responder) as server:
        assert _cri.pull_image(server.endpoint, "reg/app:1", auth=auth) == "sha256:"
    assert not server.errors
    request = server.requests[0]
    assert isinstance(request, Request)
    assert request.headers[:4] == [(":method", "POST"), (":scheme", "http"),
                                   (":path", "/runtime.v1.ImageService/PullImage"), (":authority", "localhost")]
    assert request.header_map["content-type"] == "application/grpc"
    assert request.header_map["te"] == "trailers"
    assert request.messages == [_cri.encode_pull_image_request("reg/app:1", auth)]


def test_huffman_trailers_only_unimplemented(sockdir):
    # An image-only proxy asked for the runtime service, replying like grpc-go.
    def responder(server, conn):
        conn.read_request()
        conn.send_settings()
        conn.send_error(12, "unknown service runtime.v1.RuntimeService")

    with FakeGrpcServer(os.path.join(sockdir, "img.sock"), responder) as server:
        exc = _error(_cri.version, server.endpoint)
        result = _cri.probe(server.endpoint)
    assert not server.errors
    assert exc.kind == "unimplemented"
    assert exc.grpc_status == 12
    assert exc.message == "unknown service runtime.v1.RuntimeService"
    assert "UNIMPLEMENTED" in str(exc) and server.endpoint in str(exc)
    assert result["outcome"] == "unimplemented" and result["grpc_status"] == 12


def test_grpc_error_in_trailers_is_percent_decoded_and_redacted(sockdir):
    def responder(server, conn):
        conn.read_request()
        conn.send_settings()
        conn.send_headers([(":status", "200"), ("content-type", "application/grpc")])
        conn.send_headers([("grpc-status", "2"),
                           ("grpc-message", "pull failed: caf%C3%A9 100%25 denied for hunter22")], end_stream=True)

    with FakeGrpcServer(os.path.join(sockdir, "err.sock"), responder) as server:
        exc = _error(_cri.pull_image, server.endpoint, "a:1", auth={"password": "hunter22"})
    assert exc.kind == "grpc" and exc.grpc_status == 2
    assert "caf\u00e9 100% denied" in exc.message
    assert "hunter22" not in str(exc) and "hunter22" not in repr(exc)


def test_large_reply_with_flow_control_and_ping(sockdir):
    tags = [("registry.example.com/team/app:%06d" % i).encode() for i in range(6000)]
    image = b"\x0a\x04sha1" + b"".join(b"\x12" + _cri.encode_varint(len(t)) + t for t in tags)
    reply = b"\x0a" + _cri.encode_varint(len(image)) + image
    assert len(reply) > 3 * 65535

    def responder(server, conn):
        conn.read_request()
        conn.send_settings([(_cri.SETTINGS_MAX_FRAME_SIZE, 16384)])
        conn.send(_cri.encode_frame(_cri.PING, 0, 0, b"pingpong"))
        conn.send_headers([(":status", "200"), ("content-type", "application/grpc")])
        # Without the client's WINDOW_UPDATEs this blocks after 64 KiB.
        server.requests.append(conn.send_data_flow_controlled(_cri.grpc_frame(reply)))
        conn.send_headers([("grpc-status", "0")], end_stream=True)
        server.requests.append(conn.frames_seen)

    with FakeGrpcServer(os.path.join(sockdir, "big.sock"), responder) as server:
        status = _cri.image_status(server.endpoint, "a:1", timeout=10)
    assert not server.errors
    assert status["present"] and status["id"] == "sha1"
    assert len(status["repo_tags"]) == 6000 and status["repo_tags"][-1].endswith(":005999")
    updates, frames = server.requests
    assert {stream for stream, _inc in updates} == {0, 1}
    assert (_cri.PING, _cri.FLAG_ACK, 0, b"pingpong") in frames
    assert (_cri.SETTINGS, _cri.FLAG_ACK, 0, b"") in frames


def test_request_body_waits_for_window(sockdir):
    # A request larger than the 64 KiB default window must stop and wait
    # for WINDOW_UPDATE instead of overrunning the peer.
    auth = {"identity_token": "t" * 150000}

    def responder(server, conn):
        assert conn.sock.recv(len(_cri.PREFACE)) == _cri.PREFACE
        conn.send_settings()
        allowed = _cri.DEFAULT_WINDOW
        body = bytearray()
        updates = 0
        while True:
            frame_type, flags, _stream, payload = conn.next_frame()
            if frame_type == _cri.HEADERS:
                conn.decoder.decode(payload)
            if frame_type != _cri.DATA:
                continue
            body += payload
            assert len(body) <= allowed, "client overran the flow-control window"
            if flags & _cri.FLAG_END_STREAM:
                break
            if len(body) == allowed:
                allowed += 40000
                updates += 1
                conn.send(_cri.encode_window_update(0, 40000), _cri.encode_window_update(1, 40000))
        server.requests.append((bytes(body), updates))
        conn.send_reply(b"\x0a\x02ok")

    with FakeGrpcServer(os.path.join(sockdir, "win.sock"), responder) as server:
        assert _cri.pull_image(server.endpoint, "a:1", auth=auth, timeout=5) == "ok"
    assert not server.errors
    body, updates = server.requests[0]
    assert _cri.grpc_unframe(body) == [_cri.encode_pull_image_request("a:1", auth)]
    assert updates >= 2


@pytest.mark.parametrize("frame, match", [
    (_cri.encode_frame(_cri.RST_STREAM, 0, 1, struct.pack(">I", 7)), "REFUSED_STREAM"),
    (_cri.encode_frame(_cri.GOAWAY, 0, 0, struct.pack(">II", 0, 11) + b"calm down"), "ENHANCE_YOUR_CALM: calm down"),
])
def test_stream_reset_and_goaway(sockdir, frame, match):
    def responder(server, conn):
        conn.read_request()
        conn.send_settings()
        conn.send(frame)

    with FakeGrpcServer(os.path.join(sockdir, "rst.sock"), responder) as server:
        exc = _error(_cri.version, server.endpoint)
    assert exc.kind == "protocol"
    assert match in exc.message


def test_missing_grpc_status_is_a_protocol_error(sockdir):
    def responder(server, conn):
        conn.read_request()
        conn.send_settings()
        conn.send_headers([(":status", "404"), ("content-type", "text/plain")], end_stream=True)

    with FakeGrpcServer(os.path.join(sockdir, "404.sock"), responder) as server:
        exc = _error(_cri.version, server.endpoint)
    assert exc.kind == "protocol" and "404" in exc.message


# --- a real containerd -----------------------------------------------------

CONTAINERD_CONFIG = """\
version = 2
root = "{tmp}/root"
state = "{tmp}/state"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{tmp}/containerd.sock"

[ttrpc]
  address = "{tmp}/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{tmp}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{tmp}/cni/bin"
    conf_dir = "{tmp}/cni/conf"
"""


@pytest.fixture(scope="session")
def containerd():
    """A private containerd with the CRI plugin, started once for the session."""
    if not os.path.exists(CONTAINERD):
        pytest.skip("%s is not installed" % CONTAINERD)
    if os.geteuid() != 0:
        pytest.skip("starting containerd needs root")
    tmp = tempfile.mkdtemp(prefix="pullfix-ctrd-")
    config = os.path.join(tmp, "config.toml")
    with open(config, "w") as handle:
        handle.write(CONTAINERD_CONFIG.format(tmp=tmp))
    endpoint = "unix://%s/containerd.sock" % tmp
    log = open(os.path.join(tmp, "containerd.log"), "wb")
    proc = subprocess.Popen([CONTAINERD, "--config", config], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _cri.probe(endpoint, timeout=1)["ok"]:
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log.name, "rb") as handle:
                    tail = handle.read()[-3000:].decode("utf-8", "replace")
                pytest.fail("containerd did not come up (exit %s):\n%s" % (proc.poll(), tail))
            time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_containerd_version(containerd):
    info = _cri.version(containerd)
    assert info["runtime_name"] == "containerd"
    assert info["runtime_api_version"] == "v1"
    assert info["runtime_version"]
    result = _cri.probe(containerd)
    assert result["ok"] and result["outcome"] == "ok" and result["version"] == info


def test_containerd_image_service(containerd):
    assert _cri.image_fs_info(containerd) is None
    assert _cri.probe(containerd, service="image")["ok"]
    status = _cri.image_status(containerd, "docker.io/library/busybox:1.36")
    assert status["present"] is False
    assert _cri.image_status(containerd, UNPULLABLE)["present"] is False


def test_containerd_pull_failure(containerd):
    exc = _error(_cri.pull_image, containerd, UNPULLABLE, auth={"username": "u", "password": "secret-pw"},
                 timeout=60)
    assert exc.kind == "grpc"
    assert exc.grpc_status == 2
    assert "connection refused" in exc.message and "127.0.0.1:1" in exc.message
    assert "secret-pw" not in str(exc)


@pytest.mark.parametrize("method, text", [
    ("runtime.v1.NoSuchService/Version", "unknown service"),
    ("runtime.v1.RuntimeService/NoSuchMethod", "unknown method"),
])
def test_containerd_unimplemented(containerd, method, text):
    exc = _error(_cri.call, containerd, method, b"", 5)
    assert exc.kind == "unimplemented"
    assert exc.grpc_status == 12
    assert text in exc.message  # arrives Huffman-coded from grpc-go


def test_containerd_probe_latency(containerd):
    samples = []
    for _dummy in range(50):
        started = time.perf_counter()
        assert _cri.probe(containerd)["ok"]
        samples.append(time.perf_counter() - started)
    samples.sort()
    # A few milliseconds at most; generous for a loaded CI machine.
    assert samples[len(samples) // 2] < 0.05


def test_cri_pull_module_against_containerd(containerd, capsys):
    args = {"endpoint": containerd, "images": [UNPULLABLE], "timeout": 60}
    rc, result = run_module(cri_pull.main, capsys, dict(args, _ansible_check_mode=True))
    assert rc == 0 and result["changed"] is True
    entry = result["results"][0]
    assert entry["ok"] and entry["present_before"] is False and entry["pulled"] is False

    rc, result = run_module(cri_pull.main, capsys, dict(args, fail_on_error=False))
    assert rc == 0 and result["changed"] is False
    entry = result["results"][0]
    assert entry["error_kind"] == "grpc" and "connection refused" in entry["error"]
