# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on what other consumers of the runtime socket use: crictl's /etc/crictl.yaml."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...evidence import endpoint_path
from .kubelet import live_runtime_sockets

CRICTL = '/etc/crictl.yaml'
CRICTL_KEYS = ('runtime-endpoint', 'image-endpoint')


def _answering(ctx):
    """Sockets where a runtime answers: the runtime's own endpoint first."""
    ev = ctx.ev
    out = []
    own = endpoint_path((ctx.runtime or {}).get('endpoint'))
    if own and ev.socket_is_present(own):
        out.append(own)
    out.extend(p for p in live_runtime_sockets(ev) if p not in out)
    return out


def check_crictl(ctx):
    ev = ctx.ev
    entry = ev.file(CRICTL)
    if not entry:
        return
    err = entry.get('error') or {}
    if err.get('kind') == 'missing':
        return
    if err.get('kind'):
        ctx.reported_paths.add(CRICTL)
        ctx.findings.add('crictl-config-unreadable', ['%s: %s (%s)' % (CRICTL, err.get('kind'), err.get('message'))], (
            'crictl reads %s whenever that path exists and stops when it cannot load it (%s), so every crictl '
            'command fails before it talks to the runtime. Replace it with a YAML file (runtime-endpoint: '
            'unix:///run/containerd/containerd.sock) or remove it.' % (CRICTL, err.get('message') or err.get('kind'))))
        return
    loaded = ctx.load(CRICTL, 'yaml', 'crictl-config-unreadable', "crictl's configuration")
    if not loaded:
        return
    data, index = loaded
    if data is None:
        return
    if not isinstance(data, dict):
        ctx.findings.add('crictl-config-unreadable', [CRICTL], (
            '%s is not a YAML mapping (found %s), so crictl cannot load it and every command fails.' % (
                CRICTL, type(data).__name__)))
        return
    live = _answering(ctx)
    for key in CRICTL_KEYS:
        value = data.get(key)
        path = endpoint_path(value) if isinstance(value, str) else None
        if not path or ev.socket_is_present(path):
            continue
        sock = ev.socket(path)
        if sock is None or ((sock.get('stat') or {}).get('type') not in ('missing', None) and
                            sock.get('connect') != 'missing'):
            continue
        lines = [ctx.cite(CRICTL, index.get((key,))), '%s: missing' % path]
        lines.extend('%s: a runtime answers here' % p for p in live)
        ctx.findings.add('crictl-endpoint-missing', lines, (
            '%s sets %s to %s, where no socket exists. crictl 1.26+ uses the configured endpoint without trying '
            'other defaults and fails with "dial unix %s: connect: no such file or directory"; consumers set up '
            'with the same path (Spegel, image-cri-shim) fail the same way.%s' % (
                CRICTL, key, value, path,
                ' The runtime listens at %s: point %s there.' % (live[0], key) if live else '')))
