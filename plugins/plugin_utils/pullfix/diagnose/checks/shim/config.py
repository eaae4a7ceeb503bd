# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of shim-cri-socket-missing, shim-config-unparsable: catalogue entries and user text, the check
and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import endpoint_path
from ....facts.shim import SHIM_CONFIG
from ...catalogue import MANUAL, SHIM, case, finding
from . import shim_config

FINDINGS = {
    'shim-cri-socket-missing': finding(
        'error', "image-cri-shim's cri socket does not exist",
        SHIM, 'pull',
        applies_to='Sealos image-cri-shim',
        causes=('containerd-config-rejected', 'containerd-import-missing', 'containerd-config-unparsable'),
        doc="""The shim configuration's `cri` names a runtime socket that does not exist; every call through the shim fails.
""",
        error_text="""rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix \
/var/run/containerd.sock: connect: no such file or directory\"""",
        example="""/etc/image-cri-shim.yaml:2 cri: /var/run/containerd.sock
/var/run/containerd.sock: missing"""),
    'shim-config-unparsable': finding(
        'error', '/etc/image-cri-shim.yaml cannot be parsed',
        MANUAL, 'pull',
        applies_to='Sealos image-cri-shim',
        doc="""`/etc/image-cri-shim.yaml` is not valid YAML; the shim does not start.
""",
        error_text='dial unix /var/run/image-cri-shim.sock: connect: connection refused',
        example='/etc/image-cri-shim.yaml:2 cri: ['),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'shim-cri-socket-missing': (
        case(lambda ev, h: (h.shim(ev, cri='/var/run/containerd.sock'), h.with_socket(ev, '/var/run/containerd.sock', 'missing'))),
        case(lambda ev, h: h.shim(ev))),
    'shim-config-unparsable': (
        case(lambda ev, h: h.with_file(ev, h.SHIM_CFG, 'shim: /var/run/image-cri-shim.sock\ncri: [\n', 'shim-config')),
        case(lambda ev, h: h.shim(ev))),
}


def check_config(ctx):
    loaded = shim_config(ctx)
    if not loaded:
        return
    data, index = loaded
    cri = data.get('cri')
    path = endpoint_path(cri) if isinstance(cri, str) else None
    if not path:
        return
    sock = ctx.ev.socket(path)
    if sock is None:
        return
    st_type = (sock.get('stat') or {}).get('type')
    if st_type == 'missing' or sock.get('connect') == 'missing':
        live = [p for p in ('/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock')
                if ctx.ev.socket_is_present(p)]
        ctx.findings.add('shim-cri-socket-missing', [ctx.cite(SHIM_CONFIG, index.get(('cri',))), '%s: missing' % path], (
            'image-cri-shim forwards to cri: %s, which does not exist, so every call through the shim fails%s.'
            % (cri, ' (the runtime listens on %s)' % live[0] if live else '')))


def check(ctx, models):
    check_config(ctx)
