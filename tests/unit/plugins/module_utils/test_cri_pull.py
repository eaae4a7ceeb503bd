# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cri_pull module against a fake CRI image service (and no service at all)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import tempfile

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri
from ansible_collections.kubenode.pullfix.plugins.modules import cri_pull
from ansible_collections.kubenode.pullfix.tests.unit.plugins.module_utils.cri_testlib import (
    FakeGrpcServer,
    run_module,
)

PRESENT_ID = "sha256:" + "ab" * 32
VERSION_REPLY = b"\x0a\x050.1.0\x12\x0acontainerd\x1a\x061.7.99\x22\x02v1"


def _image(image_id, tag):
    return (b"\x0a" + _cri.encode_varint(len(image_id)) + image_id.encode()
            + b"\x12" + _cri.encode_varint(len(tag)) + tag.encode() + b"\x20\x90\x4e")


class FakeImageService:
    """Serves ImageStatus/PullImage/Version from an in-memory image store."""

    def __init__(self, present=(), fail=()):
        self.present = set(present)
        self.fail = set(fail)
        self.calls = []

    def __call__(self, server, conn):
        request = conn.read_request()
        method = request.path.rsplit("/", 1)[-1]
        fields = _cri.decode_fields(request.messages[0])
        image = _cri.decode_fields(fields[1][0])[1][0].decode() if 1 in fields and method != "Version" else None
        self.calls.append((method, image, fields.get(2)))
        conn.send_settings()
        if method == "Version":
            conn.send_reply(VERSION_REPLY)
        elif method == "ImageStatus":
            conn.send_reply(b"\x0a" + _cri.encode_varint(len(_image(PRESENT_ID, image))) + _image(PRESENT_ID, image)
                            if image in self.present else b"")
        elif image in self.fail:
            conn.send_error(2, 'failed to pull and unpack image "%s": 401 Unauthorized' % image)
        else:
            self.present.add(image)
            conn.send_reply(b"\x0a" + _cri.encode_varint(len(PRESENT_ID)) + PRESENT_ID.encode())


@pytest.fixture
def sockdir():
    path = tempfile.mkdtemp(prefix="pullfix-mod-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def service(sockdir):
    fake = FakeImageService(present={"present:1"}, fail={"private:1"})
    with FakeGrpcServer(os.path.join(sockdir, "cri.sock"), fake) as server:
        fake.endpoint = server.endpoint
        yield fake
    assert not server.errors


def test_check_mode_does_not_pull(service, capsys):
    rc, result = run_module(cri_pull.main, capsys, {
        "endpoint": service.endpoint, "images": ["absent:1", "present:1"], "_ansible_check_mode": True})
    assert rc == 0
    assert [method for method, _image, _auth in service.calls] == ["ImageStatus", "ImageStatus"]
    absent, present = result["results"]
    assert absent["present_before"] is False and absent["pulled"] is False and absent["ok"]
    assert present["present_before"] is True and present["image_ref"] == PRESENT_ID
    assert present["repo_tags"] == ["present:1"] and present["size"] == 10000
    # Predicts the pull of the absent image.
    assert result["changed"] is True


def test_pull_is_idempotent(service, capsys):
    args = {"endpoint": service.endpoint, "images": ["absent:1", "present:1"]}
    rc, first = run_module(cri_pull.main, capsys, args)
    assert rc == 0 and first["changed"] is True
    assert [entry["pulled"] for entry in first["results"]] == [True, True]
    assert [entry["present_before"] for entry in first["results"]] == [False, True]
    assert all(entry["image_ref"] == PRESENT_ID and entry["error"] is None for entry in first["results"])
    assert all(isinstance(entry["elapsed_ms"], int) for entry in first["results"])
    rc, second = run_module(cri_pull.main, capsys, args)
    assert rc == 0 and second["changed"] is False
    assert [method for method, _image, _auth in service.calls].count("PullImage") == 4


def test_auth_reaches_the_runtime_but_not_the_output(service, capsys):
    rc, result = run_module(cri_pull.main, capsys, {
        "endpoint": service.endpoint, "images": ["reg.example/absent:1", "private:1"], "fail_on_error": False,
        "auth": {"username": "robot", "password": "hunter22-secret", "server_address": "reg.example"}})
    assert rc == 0
    auth = _cri.decode_fields(service.calls[-1][2][0])
    assert auth == {1: [b"robot"], 2: [b"hunter22-secret"], 4: [b"reg.example"]}
    assert "hunter22-secret" not in repr(result)
    # The registry host is not a secret: masking it would garble the image names.
    assert result["results"][0]["image"] == "reg.example/absent:1"


def test_pull_failure_fails_the_task(service, capsys):
    rc, result = run_module(cri_pull.main, capsys, {
        "endpoint": service.endpoint, "images": ["private:1", "absent:1"]})
    assert rc == 1 and result["failed"]
    assert service.endpoint in result["msg"] and "private:1" in result["msg"] and "401 Unauthorized" in result["msg"]
    failed, pulled = result["results"]
    assert failed["ok"] is False and failed["error_kind"] == "grpc" and failed["grpc_status"] == 2
    assert pulled["pulled"] is True
    assert result["changed"] is True


def test_fail_on_error_false_reports_in_results(sockdir, capsys):
    endpoint = "unix://" + os.path.join(sockdir, "gone.sock")
    rc, result = run_module(cri_pull.main, capsys, {
        "endpoint": endpoint, "images": ["a:1", "b:2"], "fail_on_error": False, "timeout": 2})
    assert rc == 0 and not result.get("failed")
    assert result["changed"] is False
    for entry in result["results"]:
        assert entry["ok"] is False
        assert entry["error_kind"] == "missing"
        assert entry["grpc_status"] is None
        assert entry["present_before"] is None and entry["pulled"] is False
        assert endpoint in entry["error"]


def test_missing_socket_fails_by_default(sockdir, capsys):
    endpoint = "unix://" + os.path.join(sockdir, "gone.sock")
    rc, result = run_module(cri_pull.main, capsys, {"endpoint": endpoint, "images": ["a:1"]})
    assert rc == 1
    assert endpoint in result["msg"] and "a:1" in result["msg"] and "does not exist" in result["msg"]
    assert result["results"][0]["error_kind"] == "missing"


def test_status_action(service, capsys):
    rc, result = run_module(cri_pull.main, capsys, {
        "endpoint": service.endpoint, "action": "status", "images": ["present:1", "absent:1"]})
    assert rc == 0 and result["changed"] is False
    assert [entry["present_before"] for entry in result["results"]] == [True, False]
    assert all(method == "ImageStatus" for method, _image, _auth in service.calls)


def test_version_action(service, capsys):
    rc, result = run_module(cri_pull.main, capsys, {"endpoint": service.endpoint, "action": "version"})
    assert rc == 0 and result["changed"] is False
    assert result["version"] == {"version": "0.1.0", "runtime_name": "containerd",
                                 "runtime_version": "1.7.99", "runtime_api_version": "v1"}


def test_version_action_without_runtime(sockdir, capsys):
    endpoint = os.path.join(sockdir, "gone.sock")
    rc, result = run_module(cri_pull.main, capsys, {"endpoint": endpoint, "action": "version",
                                                    "fail_on_error": False})
    assert rc == 0 and result["error_kind"] == "missing" and "version" not in result
    rc, result = run_module(cri_pull.main, capsys, {"endpoint": endpoint, "action": "version"})
    assert rc == 1 and result["error_kind"] == "missing" and endpoint in result["msg"]


@pytest.mark.parametrize("args, match", [
    ({"endpoint": "tcp://127.0.0.1:1234"}, "only unix sockets"),
    ({"timeout": 0}, "timeout must be greater than 0"),
])
def test_invalid_options(capsys, args, match):
    rc, result = run_module(cri_pull.main, capsys, dict(args, images=["a:1"]))
    assert rc == 1 and match in result["msg"]
