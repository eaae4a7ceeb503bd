# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""molecule/shared/grpc_standin.py, the gRPC server side of the Molecule stand-ins, answers the
collection's own CRI client; and the one-file build of a stand-in runs with it."""

import os
import socket
import subprocess
import sys
import threading

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri
from ansible_collections.kubenode.pullfix.plugins.module_utils._hpack import Decoder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'molecule', 'shared'))
import grpc_standin  # noqa: E402  pylint: disable=wrong-import-position

METHOD = 'runtime.v1.ImageService/PullImage'


@pytest.fixture
def serve(tmp_path):
    """serve(handle, decoder) -> the endpoint of a stand-in server answering with ``handle``."""
    def start(handle, decoder=None):
        path = str(tmp_path / 'standin.sock')
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(8)
        threading.Thread(target=grpc_standin.serve_forever, args=(server, handle, decoder), daemon=True).start()
        return 'unix://' + path
    return start


def test_reply_reaches_the_cri_client_with_the_path_decoded(serve):
    seen = {}

    def handle(connection, stream, request):
        seen.update(path=dict(request['headers'])[':path'], body=request['body'])
        connection.reply(stream, b'\x0a\x03abc' * 10000)  # more than one DATA frame
    reply = _cri.call(serve(handle, Decoder), METHOD, b'\x0a\x01x', 5.0)
    assert reply == b'\x0a\x03abc' * 10000
    assert seen['path'] == '/' + METHOD
    assert _cri.grpc_unframe(seen['body']) == [b'\x0a\x01x']


def test_error_reaches_the_cri_client_with_code_and_long_message(serve):
    message = 'unknown service runtime.v1.RuntimeService ' + 'é' * 200  # longer than one HPACK length byte

    def handle(connection, stream, request):
        assert request['headers'] is None and b'PullImage' in request['block']  # no decoder: the raw block
        connection.fail(stream, grpc_standin.UNIMPLEMENTED, message)
    with pytest.raises(_cri.CriError) as err:
        _cri.call(serve(handle), METHOD, b'', 5.0)
    assert err.value.grpc_status == grpc_standin.UNIMPLEMENTED
    assert 'unknown service runtime.v1.RuntimeService' in err.value.message


def test_hpack_integer_uses_continuation_bytes():
    assert grpc_standin.hpack_integer(10, 7) == b'\x0a'
    assert grpc_standin.hpack_integer(1337, 5) == b'\x1f\x9a\x0a'  # RFC 7541 C.1.2


def test_build_makes_one_runnable_file_with_the_same_bytes_each_time(tmp_path):
    main = tmp_path / 'standin.py'
    main.write_text('import grpc_standin\nprint(grpc_standin.UNIMPLEMENTED)\n')
    first, second = str(tmp_path / 'one'), str(tmp_path / 'two')
    for out in (first, second):
        subprocess.run([sys.executable, os.path.join(ROOT, 'molecule', 'shared', 'grpc_standin.py'), 'build',
                        str(main), out], check=True)
    with open(first, 'rb') as a, open(second, 'rb') as b:
        built = a.read()
        assert built == b.read() and built.startswith(b'#!/usr/bin/python3\n')
    assert subprocess.run([sys.executable, first], stdout=subprocess.PIPE, check=True).stdout == b'12\n'
