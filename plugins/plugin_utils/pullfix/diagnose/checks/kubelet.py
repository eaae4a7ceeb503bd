# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on kubelet's CRI endpoints and on competing CRI sockets."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...evidence import endpoint_path
from ...facts.endpoints import CRI_DOCKERD_SOCKETS, CRI_DOCKERD_UNITS
from ..runtime import classify_socket

_CONNECT_IDS = {
    'missing': 'cri-endpoint-missing',
    'refused': 'cri-endpoint-refused',
    'not_socket': 'cri-endpoint-not-socket',
    'permission_denied': 'cri-endpoint-permission-denied',
    'timeout': 'cri-endpoint-timeout',
}
_MESSAGES = {
    'missing': 'connect: no such file or directory',
    'refused': 'connect: connection refused',
    'not_socket': 'the path exists but is not a socket (connect: connection refused)',
    'permission_denied': 'connect: permission denied',
    'timeout': 'context deadline exceeded',
}
# kubeadm's defaultKnownCRISockets (cmd/kubeadm/app/util/runtime): the paths it looks for
KUBEADM_KNOWN = (
    ('containerd', '/var/run/containerd/containerd.sock'),
    ('crio', '/var/run/crio/crio.sock'),
    ('cri-dockerd', '/var/run/cri-dockerd.sock'),
)


def _sock_desc(sock, path):
    st = sock.get('stat') or {}
    bits = ['%s: connect=%s' % (path, sock.get('connect'))]
    if st.get('type') not in (None, 'missing'):
        bits.append('type=%s mode=%s uid=%s gid=%s' % (st.get('type'), st.get('mode'), st.get('uid'), st.get('gid')))
    return ' '.join(bits)


def _probe_desc(probe, name):
    probe = probe or {}
    msg = probe.get('message')
    return '%s: outcome=%s%s%s' % (
        name, probe.get('outcome'),
        ' grpc-status=%s' % probe.get('grpc_status') if probe.get('grpc_status') is not None else '',
        ' message=%s' % msg if msg else '')


def live_runtime_sockets(ev):
    """Runtime sockets that exist and answer the CRI Version call."""
    out = []
    for path in sorted(ev.sockets):
        if classify_socket(path) and ev.socket_is_present(path):
            probe = (ev.sockets[path].get('runtime_probe') or {})
            if probe.get('ok'):
                out.append(path)
    return out


def check_endpoints(ctx):
    ev = ctx.ev
    k = ctx.kubelet or {}
    rt = ctx.runtime or {}
    targets = []
    runtime_ep = k.get('runtime_endpoint')
    runtime_src = k.get('runtime_source')
    if not runtime_ep and rt.get('name') not in (None, 'unknown') and rt.get('endpoint'):
        runtime_ep, runtime_src = rt['endpoint'], 'default endpoint of runtime %s (%s)' % (rt['name'], rt.get('source'))
    if runtime_ep:
        targets.append(('runtime', runtime_ep, runtime_src))
    if k.get('image_explicit') and k.get('image_endpoint') and k.get('image_endpoint') != runtime_ep:
        targets.append(('image', k['image_endpoint'], k.get('image_source')))
    for role, endpoint, source in targets:
        path = endpoint_path(endpoint)
        sock = ev.socket(path) if path else None
        if not sock:
            continue
        ctx.needed_paths.add(path)
        flag = 'container-runtime-endpoint' if role == 'runtime' else 'image-service-endpoint'
        connect = sock.get('connect')
        st_type = (sock.get('stat') or {}).get('type')
        if st_type == 'missing':
            connect = 'missing'
        lines = [s for s in (source, _sock_desc(sock, path)) if s]
        if connect in _CONNECT_IDS:
            fid = _CONNECT_IDS[connect]
            extra = ''
            if connect == 'missing':
                live = [p for p in live_runtime_sockets(ev) if p != path]
                if live:
                    extra = ' A runtime answers at %s.' % ', '.join(live)
            ctx.findings.add(fid, lines, (
                'Kubelet\'s %s (%s) is %s; kubelet and crictl fail with "dial unix %s: %s".%s' % (
                    flag, endpoint, connect.replace('_', ' '), path, _MESSAGES[connect], extra)))
            continue
        if connect != 'ok':
            continue
        rprobe = sock.get('runtime_probe') or {}
        iprobe = sock.get('image_probe') or {}
        if role == 'runtime':
            outcome = rprobe.get('outcome')
            if outcome in ('unimplemented', 'protocol'):
                lines.append(_probe_desc(rprobe, 'RuntimeService/Version'))
                lines.append(_probe_desc(iprobe, 'ImageService/ImageFsInfo'))
                if iprobe.get('ok'):
                    ctx.findings.add('cri-endpoint-image-only', lines, (
                        'Kubelet\'s container-runtime-endpoint %s serves only the image service '
                        '(unknown service runtime.v1.RuntimeService): it is an image proxy such as '
                        'Sealos image-cri-shim. The runtime endpoint must be the runtime socket; the '
                        'proxy belongs in imageServiceEndpoint.' % endpoint))
                else:
                    ctx.findings.add('cri-endpoint-no-cri-service', lines, (
                        '%s answers but serves neither runtime.v1.RuntimeService nor runtime.v1.ImageService: '
                        'the CRI plugin is not loaded (disabled, or its configuration is invalid).' % endpoint))
            elif outcome == 'timeout':
                lines.append(_probe_desc(rprobe, 'RuntimeService/Version'))
                ctx.findings.add('cri-endpoint-timeout', lines, (
                    'Kubelet\'s %s (%s) accepts connections but the CRI Version call timed out '
                    '(context deadline exceeded).' % (flag, endpoint)))
        else:
            outcome = iprobe.get('outcome')
            if outcome in ('unimplemented', 'protocol'):
                lines.append(_probe_desc(iprobe, 'ImageService/ImageFsInfo'))
                ctx.findings.add('cri-endpoint-no-cri-service', lines, (
                    'Kubelet\'s image-service-endpoint %s does not serve runtime.v1.ImageService.' % endpoint))
            elif outcome == 'timeout':
                lines.append(_probe_desc(iprobe, 'ImageService/ImageFsInfo'))
                ctx.findings.add('cri-endpoint-timeout', lines, (
                    'Kubelet\'s image-service-endpoint %s accepts connections but the ImageService call timed out.'
                    % endpoint))


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


def check_cri_dockerd(ctx):
    ev = ctx.ev
    name = (ctx.runtime or {}).get('name')
    if name == 'docker':
        return
    lines = []
    for path in CRI_DOCKERD_SOCKETS:
        if ev.socket_is_present(path):
            lines.append('%s: socket present' % path)
    for unit in CRI_DOCKERD_UNITS:
        u = ev.unit(unit)
        if u and (ev.unit_active(unit) or ev.unit_enabled(unit)):
            lines.append('%s: ActiveState=%s UnitFileState=%s (%s)' % (
                unit, u.get('ActiveState'), u.get('UnitFileState'), u.get('FragmentPath')))
    for proc in ev.processes_named('cri-dockerd'):
        lines.append('process %s: %s' % (proc.get('pid'), ' '.join(proc.get('cmdline') or [])[:200]))
    if lines:
        ctx.findings.add('cri-dockerd-without-docker', lines, (
            'cri-dockerd is installed or running although the runtime is %s, not docker. It is only '
            'needed with Docker Engine; its socket makes kubeadm see several CRI endpoints.' % name))
