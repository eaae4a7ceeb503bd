# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of multiple-cri-endpoints, multiple-cri-endpoints-kubelet-set: catalogue entries and user text,
the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import endpoint_path
from ...catalogue import MANUAL, NODE, case, finding
from . import KUBEADM_KNOWN

FINDINGS = {
    'multiple-cri-endpoints': finding(
        'error', "More than one CRI socket among kubeadm's known defaults",
        NODE, 'consumer',
        applies_to='kubeadm nodes with containerd, CRI-O or cri-dockerd (not k3s, RKE2, k0s)',
        causes=('cri-dockerd-without-docker',),
        doc="""More than one of kubeadm's known CRI sockets exists (`/var/run/containerd/containerd.sock`, `/var/run/crio/crio.sock`, \
`/var/run/cri-dockerd.sock`), accepts a connection, no kubeadm configuration on the node sets `criSocket`, and kubelet names no runtime endpoint yet \
(a node being provisioned; otherwise `multiple-cri-endpoints-kubelet-set`). kubeadm refuses to guess (KubeKey incident: cri-dockerd installed next to \
containerd).
""",
        error_text="""Found multiple CRI endpoints on the host. Please define which one do you wish to use by setting the 'criSocket' field in the \
kubeadm configuration file: unix:///var/run/containerd/containerd.sock, unix:///var/run/cri-dockerd.sock""",
        example="""/run/containerd/containerd.sock (containerd): socket present
/var/run/cri-dockerd.sock (cri-dockerd): socket present"""),
    'multiple-cri-endpoints-kubelet-set': finding(
        'warning', "More than one CRI socket among kubeadm's known defaults; kubelet names its own, but kubeadm run without criSocket stops",
        MANUAL, 'consumer',
        applies_to='kubeadm nodes with containerd, CRI-O or cri-dockerd (not k3s, RKE2, k0s)',
        causes=('cri-dockerd-without-docker',),
        doc="""As `multiple-cri-endpoints`, on a node whose kubelet already names its runtime endpoint (flags,
`kubeadm-flags.env` or its configuration) and that endpoint is one of the sockets found. Kubelet's
pulls do not depend on the detection, so nothing fails now: a Docker Engine node always shows
containerd's socket next to cri-dockerd's. The next `kubeadm join` or `kubeadm reset` on the node
needs `--cri-socket` (or `criSocket` in its configuration). When the extra socket is a cri-dockerd
the runtime does not use, `cri-dockerd-without-docker` is the cause and `kubenode.pullfix.node_runtime`
removes it.
""",
        example="""/run/containerd/containerd.sock (containerd): socket present
/var/run/cri-dockerd.sock (cri-dockerd): socket present
kubelet: --container-runtime-endpoint unix:///var/run/cri-dockerd.sock (/var/lib/kubelet/kubeadm-flags.env)"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    # a node being provisioned (no kubelet configuration yet): kubeadm join stops now
    'multiple-cri-endpoints': (
        case(lambda ev, h: h.with_socket(h.without_kubelet(ev), '/var/run/cri-dockerd.sock', runtime_probe=h.probe_ok('docker', '24.0.7'))),
        case(lambda ev, h: h.with_socket(h.without_kubelet(ev), '/run/docker.sock', runtime_probe=h.probe_fail('protocol')))),
    # kubelet already names containerd: nothing fails now, the next kubeadm join/reset needs criSocket
    'multiple-cri-endpoints-kubelet-set': (
        case(lambda ev, h: h.with_socket(ev, '/var/run/cri-dockerd.sock', runtime_probe=h.probe_ok('docker', '24.0.7'))),
        case(lambda ev, h: h.with_socket(h.without_kubelet(ev), '/var/run/cri-dockerd.sock', runtime_probe=h.probe_ok('docker', '24.0.7')))),
}


def _kubeadm_cri_socket_set(ctx):
    for path in ctx.ev.paths_by_why('kubeadm-config'):
        text = ctx.ev.text(path) or ''
        if 'criSocket:' in text:
            return True
    return False


def _run_path(path):
    return '/run/' + path[len('/var/run/'):] if path.startswith('/var/run/') else path


def _same_socket(path, paths):
    return _run_path(path) in [_run_path(p) for p in paths]


def check_multiple_endpoints(ctx):
    ev = ctx.ev
    if (ctx.runtime or {}).get('name') in ('k3s', 'rke2', 'k0s'):
        return
    run_alias = ev.var_run_is_run()
    found = []

    def counted(path):
        # kubeadm 1.24+ dials each known socket (isExistingSocket): a file nothing listens on
        # does not count, a listening socket unit does.
        return ev.socket_is_present(path) and (ev.socket(path) or {}).get('connect') in (None, 'ok', 'timeout')
    for kind, path in KUBEADM_KNOWN:
        alt = path.replace('/var/run/', '/run/', 1)
        if counted(path):
            found.append((kind, path))
        elif run_alias and counted(alt):
            found.append((kind, alt))
    if len(found) < 2 or _kubeadm_cri_socket_set(ctx):
        return
    lines = ['%s (%s): socket present' % (p, kind) for kind, p in found]
    k = ctx.kubelet or {}
    chosen = endpoint_path(k.get('runtime_endpoint')) if k.get('present') and k.get('runtime_endpoint') else None
    if chosen and _same_socket(chosen, [p for _kind, p in found]):
        # A node kubelet already runs on (a Docker Engine node always shows containerd's socket
        # next to cri-dockerd's): nothing fails now; the next kubeadm join/reset needs criSocket.
        ctx.findings.add('multiple-cri-endpoints-kubelet-set', lines + [
            'kubelet: --container-runtime-endpoint %s (%s)' % (k['runtime_endpoint'], k.get('runtime_source'))], (
            'kubelet already names its runtime endpoint, so its pulls do not depend on this; but kubeadm '
            '(join, reset) run here without criSocket stops with "Found multiple CRI endpoints on the host". '
            'Pass --cri-socket %s, or remove the socket of the runtime this node does not use.' % k['runtime_endpoint']))
        return
    ctx.findings.add('multiple-cri-endpoints', lines, (
        'kubeadm looks for the CRI sockets of containerd, CRI-O and cri-dockerd and found %d (%s); '
        'it stops with "Found multiple CRI endpoints on the host. Please define which one do you wish to use '
        'by setting the \'criSocket\' field in the kubeadm configuration file". Only the chosen runtime '
        'should leave a socket.' % (len(found), ', '.join(k for k, _path in found))))


def check(ctx, models):
    check_multiple_endpoints(ctx)
