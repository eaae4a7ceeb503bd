# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of cri-endpoint-missing, cri-endpoint-refused, cri-endpoint-not-socket, cri-endpoint-
permission-denied, cri-endpoint-timeout, cri-endpoint-image-only, cri-endpoint-no-cri-service: catalogue
entries and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import endpoint_path
from ...catalogue import CONTAINERD, MANUAL, SHIM, SOCKET, case, finding
from . import live_runtime_sockets

FINDINGS = {
    'cri-endpoint-missing': finding(
        'error', "Kubelet's CRI endpoint socket does not exist",
        SOCKET, 'pull',
        applies_to='every runtime and version',
        causes=('containerd-config-rejected', 'containerd-import-missing', 'containerd-config-unparsable'),
        doc="""Kubelet's runtime (or image) endpoint names a socket path where nothing exists: the runtime is not running, listens elsewhere \
(k3s/RKE2 `/run/k3s/containerd/containerd.sock`, k0s `/run/k0s/containerd.sock`, CRI-O `/var/run/crio/crio.sock`), or `/var/run` is not `/run`.
""",
        error_text="""validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code \
= Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or \
directory\"""",
        example="""/var/lib/kubelet/config.yaml:4 containerRuntimeEndpoint: unix:///var/run/crio/crio.sock
/var/run/crio/crio.sock: connect=missing"""),
    'cri-endpoint-refused': finding(
        'error', "Kubelet's CRI endpoint refuses connections (stale socket, nothing listening)",
        SOCKET, 'pull',
        applies_to='every runtime and version',
        causes=('containerd-config-rejected', 'containerd-import-missing', 'containerd-config-unparsable'),
        doc="""The socket file exists but nothing accepts connections: the runtime (or the Sealos shim) stopped, crashed, or restarted and left a \
stale socket; bind-mounted stale inodes give the same result.
""",
        error_text="""validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code \
= Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused"
dial unix /var/run/image-cri-shim.sock: connect: connection refused""",
        example="""/var/lib/kubelet/config.yaml:4 containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
/run/containerd/containerd.sock: connect=refused type=socket mode=0660 uid=0 gid=0"""),
    'cri-endpoint-not-socket': finding(
        'error', "Kubelet's CRI endpoint path is not a socket",
        SOCKET, 'pull',
        applies_to='every runtime and version',
        doc="""The endpoint path is a regular file, directory or other non-socket (for example created by a bind mount of a missing path or by \
`touch`). Connecting fails with "connection refused".
""",
        error_text="""validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code \
= Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection \
refused\"""",
        example='/run/containerd/containerd.sock: connect=not_socket type=dir mode=0755 uid=0 gid=0'),
    'cri-endpoint-permission-denied': finding(
        'error', "Kubelet's CRI endpoint denies the connection (permission denied)",
        SOCKET, 'pull',
        applies_to='every runtime and version',
        doc="""The caller may not connect: the socket's owner/group/mode exclude it, or SELinux denies `connectto`.
""",
        error_text="""validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code \
= Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: permission denied\"""",
        example='/run/containerd/containerd.sock: connect=permission_denied type=socket mode=0600 uid=0 gid=0'),
    'cri-endpoint-timeout': finding(
        'error', "Kubelet's CRI endpoint accepts connections but does not answer",
        MANUAL, 'pull',
        applies_to='every runtime and version',
        doc="""The socket accepts the connection but the CRI call does not complete within the probe timeout: the runtime is hung, overloaded or \
still starting.
""",
        error_text="""validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code \
= DeadlineExceeded desc = context deadline exceeded""",
        example='/run/containerd/containerd.sock: connect=timeout'),
    'cri-endpoint-image-only': finding(
        'error', 'The runtime endpoint is an image-only proxy (unknown service runtime.v1.RuntimeService)',
        SHIM, 'pull',
        applies_to='every runtime and version',
        doc="""Kubelet's `containerRuntimeEndpoint` points at an image-only proxy (Sealos `image-cri-shim`): it answers `ImageService` but not \
`RuntimeService`. The proxy belongs in `imageServiceEndpoint`; the runtime endpoint must be the runtime's socket.
""",
        error_text="""validate service connection: CRI v1 runtime API is not implemented for endpoint "unix:///var/run/image-cri-shim.sock": rpc \
error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService""",
        example="""/var/lib/kubelet/config.yaml:2 containerRuntimeEndpoint: unix:///var/run/image-cri-shim.sock
RuntimeService/Version: outcome=unimplemented grpc-status=12
ImageService/ImageFsInfo: outcome=ok"""),
    'cri-endpoint-no-cri-service': finding(
        'error', 'The runtime answers but serves no CRI service (CRI plugin not loaded)',
        CONTAINERD, 'pull',
        applies_to='every runtime and version',
        causes=('containerd-cri-disabled', 'containerd-mirrors-with-config-path'),
        doc="""The runtime answers on its socket but serves neither CRI service: containerd's CRI plugin did not load (disabled with \
`disabled_plugins`, or its configuration is invalid, e.g. `mirrors` with `config_path`). containerd's log shows `failed to load plugin \
io.containerd.grpc.v1.cri`.
""",
        error_text="""[ERROR CRI]: container runtime is not running: output: time="..." level=fatal msg="validate service connection: CRI v1 runtime \
API is not implemented for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unimplemented desc = unknown service \
runtime.v1.RuntimeService"
rpc error: code = Unimplemented desc = unknown service runtime.v1.ImageService""",
        example=r"""RuntimeService/Version: outcome=unimplemented grpc-status=12
ImageService/ImageFsInfo: outcome=unimplemented grpc-status=12"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'cri-endpoint-missing': (
        case(lambda ev, h: h.kubelet_endpoint(ev, 'unix:///var/run/crio/crio.sock')),
        case(lambda ev, h: h.kubelet_endpoint(ev, 'unix:///var/run/containerd/containerd.sock'))),
    'cri-endpoint-refused': (
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, 'refused')),
        case(lambda ev, h: h.with_socket(ev, '/run/docker.sock', 'refused'))),
    'cri-endpoint-not-socket': (
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, 'not_socket')),
        case(lambda ev, h: h.with_socket(ev, '/run/k0s/containerd.sock', 'not_socket'))),
    'cri-endpoint-permission-denied': (
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, 'permission_denied')),
        case(lambda ev, h: h.with_socket(ev, '/var/run/crio/crio.sock', 'permission_denied'))),
    'cri-endpoint-timeout': (
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, 'timeout')),
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, image_probe=h.probe_fail('timeout')))),
    'cri-endpoint-image-only': (
        case(lambda ev, h: (h.shim(ev), h.kubelet_endpoint(ev, 'unix://' + h.SHIM_SOCK))),
        case(lambda ev, h: (h.shim(ev), h.kubelet_endpoint(ev, 'unix://' + h.RUN_SOCK, 'unix://' + h.SHIM_SOCK)))),
    'cri-endpoint-no-cri-service': (
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, runtime_probe=h.probe_fail('unimplemented', 12),
                                         image_probe=h.probe_fail('unimplemented', 12))),
        case(lambda ev, h: h.with_socket(ev, '/var/run/containerd/containerd.sock', runtime_probe=h.probe_fail('unimplemented', 12),
                                         image_probe=h.probe_fail('unimplemented', 12)))),
}


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


def check(ctx, models):
    check_endpoints(ctx)
