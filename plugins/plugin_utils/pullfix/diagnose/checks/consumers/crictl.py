# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of crictl-endpoint-missing, crictl-config-unreadable: catalogue entries and user text, the
check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import endpoint_path
from ...catalogue import MANUAL, SOCKET, case, finding
from ..kubelet import live_runtime_sockets

FINDINGS = {
    'crictl-endpoint-missing': finding(
        'error', "crictl's endpoint (from /etc/crictl.yaml, or its defaults) is a socket that does not exist",
        SOCKET, 'consumer',
        applies_to='crictl 1.26 and later (a configured endpoint is used alone, cri-tools `cmd/crictl/main.go` getRuntimeService)',
        causes=('crictl-config-unreadable', 'containerd-config-rejected', 'containerd-import-missing', 'containerd-config-unparsable'),
        doc="""`/etc/crictl.yaml` sets `runtime-endpoint` (or `image-endpoint`) to a socket that does not exist
(or the file cannot be loaded and none of crictl's default sockets exists), while the runtime listens elsewhere (k3s/RKE2: \
`/run/k3s/containerd/containerd.sock`). crictl 1.26+
uses the configured endpoint without trying other defaults. Consumers set up with the same path
(Spegel, image-cri-shim) fail the same way. The evidence names the socket where a runtime answers.
""",
        error_text="""level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \
\\"unix:///run/containerd/containerd.sock\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial \
unix /run/containerd/containerd.sock: connect: no such file or directory\\"\"""",
        example=r"""/etc/crictl.yaml:1 runtime-endpoint: unix:///run/containerd/containerd.sock
/run/containerd/containerd.sock: missing
/run/k3s/containerd/containerd.sock: a runtime answers here"""),
    'crictl-config-unreadable': finding(
        'warning', '/etc/crictl.yaml cannot be loaded: crictl ignores it and tries its default sockets',
        MANUAL, 'consumer',
        applies_to='every crictl since 1.26 (cri-tools `cmd/crictl/main.go`: a load error is fatal only with `--config`)',
        doc="""`/etc/crictl.yaml` exists but crictl cannot load it: a directory in its place, unreadable, not UTF-8,
not YAML, or not a mapping. Unless `--config` is given, crictl logs the error, ignores the file and
tries its default sockets (`/run/containerd/containerd.sock`, `/run/crio/crio.sock`,
`/var/run/cri-dockerd.sock`, cri-tools v1.36.0 `cmd/crictl/main_unix.go`). Where the runtime
listens at one of them crictl still works (warning); where it does not (k3s, RKE2, k0s),
`crictl-endpoint-missing` follows and is listed under this finding.
""",
        error_text="""level=warning msg="runtime connect using default endpoints: [unix:///run/containerd/containerd.sock unix:///run/crio/crio.sock \
unix:///var/run/cri-dockerd.sock]. As the default settings are now deprecated, you should set the endpoint instead.\"""",
        example='/etc/crictl.yaml: is_directory (/etc/crictl.yaml is a directory)'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'crictl-endpoint-missing': (
        case(lambda ev, h: (h.k3s(ev), h.crictl(ev, 'runtime-endpoint: unix:///run/containerd/containerd.sock\n'))),
        case(lambda ev, h: (h.k3s(ev), h.crictl(ev, 'runtime-endpoint: unix:///run/k3s/containerd/containerd.sock\n')))),
    'crictl-config-unreadable': (
        case(lambda ev, h: h.with_error(ev, h.CRICTL, 'is_directory', 'crictl-config')),
        case(lambda ev, h: h.crictl(ev, 'runtime-endpoint: unix:///run/containerd/containerd.sock\n'))),
}


CRICTL = '/etc/crictl.yaml'


CRICTL_KEYS = ('runtime-endpoint', 'image-endpoint')


# crictl's own defaults when no endpoint is configured, or when /etc/crictl.yaml cannot be
# loaded: it then warns and tries these in order (cri-tools v1.36.0 cmd/crictl/main_unix.go:30;
# main.go:329-333 ignores a load error unless --config was given, same since v1.26.0).
CRICTL_DEFAULTS = ('/run/containerd/containerd.sock', '/run/crio/crio.sock', '/var/run/cri-dockerd.sock')


def _answering(ctx):
    """Sockets where a runtime answers: the runtime's own endpoint first."""
    ev = ctx.ev
    out = []
    own = endpoint_path((ctx.runtime or {}).get('endpoint'))
    if own and ev.socket_is_present(own):
        out.append(own)
    out.extend(p for p in live_runtime_sockets(ev) if p not in out)
    return out


def _missing(ev, path):
    """True when the evidence says nothing exists at ``path`` (None: not looked at)."""
    sock = ev.socket(path)
    if sock is None:
        return None
    if ev.socket_is_present(path):
        return False
    return (sock.get('stat') or {}).get('type') in ('missing', None) or sock.get('connect') == 'missing'


def _unreadable(ctx, lines, why):
    """crictl ignores a file it cannot load and falls back to its defaults; say whether they reach the runtime."""
    ev = ctx.ev
    ctx.findings.add('crictl-config-unreadable', lines, (
        'crictl cannot load %s (%s). Unless --config is given it then ignores the file with a warning and tries '
        'its default sockets (%s), so the settings in the file never apply.' % (CRICTL, why, ', '.join(CRICTL_DEFAULTS))))
    defaults = [p for p in CRICTL_DEFAULTS if ev.socket(p) is not None]
    if not defaults or any(ev.socket_is_present(p) for p in defaults):
        return
    live = _answering(ctx)
    if not live:
        return
    ctx.findings.add('crictl-endpoint-missing', ['%s: missing (crictl default)' % p for p in defaults] +
                     ['%s: a runtime answers here' % p for p in live], (
        'With %s ignored, crictl tries only its default sockets (%s), and none exists on this node: every crictl '
        'command fails ("connect: no such file or directory"). The runtime listens at %s.' % (
            CRICTL, ', '.join(defaults), live[0])), caused_by='crictl-config-unreadable')


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
        _unreadable(ctx, ['%s: %s (%s)' % (CRICTL, err.get('kind'), err.get('message'))],
                    err.get('message') or err.get('kind'))
        return
    parsed = ev.parsed(CRICTL, 'yaml')
    if parsed is None:
        return
    data, index, perr = parsed
    if perr is not None:
        where = ctx.cite(CRICTL, perr.line) if perr.line else CRICTL
        _unreadable(ctx, [where], 'not valid YAML: %s' % perr.message)
        return
    if data is None:
        return
    if not isinstance(data, dict):
        _unreadable(ctx, [CRICTL], 'not a YAML mapping but a %s' % type(data).__name__)
        return
    live = _answering(ctx)
    for key in CRICTL_KEYS:
        value = data.get(key)
        path = endpoint_path(value) if isinstance(value, str) else None
        if not path or not _missing(ev, path):
            continue
        lines = [ctx.cite(CRICTL, index.get((key,))), '%s: missing' % path]
        lines.extend('%s: a runtime answers here' % p for p in live)
        ctx.findings.add('crictl-endpoint-missing', lines, (
            '%s sets %s to %s, where no socket exists. crictl 1.26+ uses the configured endpoint without trying '
            'other defaults and fails with "dial unix %s: connect: no such file or directory"; consumers set up '
            'with the same path (Spegel, image-cri-shim) fail the same way.%s' % (
                CRICTL, key, value, path,
                ' The runtime listens at %s: point %s there.' % (live[0], key) if live else '')))


def check(ctx, models):
    check_crictl(ctx)
