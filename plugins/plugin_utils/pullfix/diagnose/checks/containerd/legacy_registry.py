# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-mirrors-with-config-path, containerd-deprecated-mirrors, containerd-configs-tls-
ignored: catalogue entries and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts import containerd as facts
from ...catalogue import CONTAINERD, case, finding

FINDINGS = {
    'containerd-mirrors-with-config-path': finding(
        'error', 'Deprecated registry mirrors (or configs.tls) combined with config_path: the CRI plugin fails to load',
        CONTAINERD, 'pull',
        applies_to="""every containerd for `mirrors` next to a non-empty config_path; `configs.tls` next to config_path on 1.6/1.7 only; `mirrors` \
without config_path (or with an empty one in a version 2 file) on 2.2.0 and 2.2.1 only""",
        doc="""The merged CRI registry table sets a non-empty `config_path` and also the deprecated `mirrors` (or, on 1.6/1.7 only, \
`configs."<host>".tls`). containerd validates this combination and the CRI plugin fails to load (every version for `mirrors`: \
`pkg/cri/config/config.go` in 1.x, `internal/cri/config/config.go` ValidateImageConfig in 2.x). `mirrors` without `config_path` only logs a \
deprecation, except on 2.2.0 and 2.2.1, which fill in the default `/etc/containerd/certs.d:/etc/docker/certs.d` first (also for an explicit \
`config_path = ""` in a migrated version 2 file) and so fail; 2.2.2 stopped doing that next to mirrors. 2.x accepts `configs.tls` next to \
`config_path` and ignores it (`containerd-configs-tls-ignored`). `configs.<host>.auth` and `auths` are not part of the conflict (credentials still \
live there).
""",
        error_text="""level=warning msg="failed to load plugin io.containerd.grpc.v1.cri" error="invalid plugin config: `mirrors` cannot be set when \
`config_path` is provided"
level=warning msg="failed to load plugin" error="unable to load CRI image service plugin dependency: invalid cri image config: `mirrors` cannot be \
set when `config_path` is provided" id=io.containerd.grpc.v1.cri
rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService""",
        example="""/etc/containerd/config.toml:6 config_path = "/etc/containerd/certs.d"
/etc/containerd/config.toml:7 [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]"""),
    'containerd-deprecated-mirrors': finding(
        'warning', 'Deprecated registry.mirrors used instead of config_path and hosts.toml',
        CONTAINERD, 'hygiene',
        applies_to="""containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files), whenever mirrors \
load (see `containerd-mirrors-with-config-path` for when they do not)""",
        doc="""Mirrors are configured with the deprecated `registry.mirrors` table (and no `config_path`). It works on 1.x but needs a restart for \
every change, cannot express fallback/capabilities, and conflicts with `config_path`.
""",
        error_text='level=warning msg="`mirrors` is deprecated, please use `config_path` instead"',
        example='/etc/containerd/config.toml:5 [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]'),
    'containerd-configs-tls-ignored': finding(
        'warning', 'Deprecated registry configs.tls is ignored (containerd 2.x removed it)',
        CONTAINERD, 'pull',
        applies_to='containerd 2.0 and later, with or without config_path (1.x refuses it next to config_path: '
                   '`containerd-mirrors-with-config-path`)',
        doc="""containerd 2.0 removed the field: `RegistryConfig` has only `auth` (v2.0.0
`internal/cri/config/config.go:238-241`), so the deprecated `registry.configs."<host>".tls` is
ignored with or without `config_path`: the CA, client certificate or `insecure_skip_verify` there
never apply, and TLS to that registry fails unless certs.d says the same. `configs.<host>.auth` is
still read.
""",
        error_text='level=warning msg="`configs` is deprecated, please use `config_path` instead"',
        example="""/etc/containerd/config.toml:3 config_path = "/etc/containerd/certs.d"
/etc/containerd/config.toml:4 [plugins."io.containerd.cri.v1.images".registry.configs."r.local".tls]"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'containerd-mirrors-with-config-path': (
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
                                 '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m.example.com"]\n')),
        # containerd 1.x accepts mirrors with an empty config_path (deprecated, but loads)
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = ""\n'
                                 '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m.example.com"]\n'))),
    'containerd-deprecated-mirrors': (
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
                                 '  endpoint = ["https://m.example.com"]\n')),
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example.com".auth]\n'
                                 '  username = "u"\n'))),
    'containerd-configs-tls-ignored': (
        case(lambda ev, h: (h.set_containerd_version(ev, '2.1.9'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n'
                                      '[plugins."io.containerd.cri.v1.images".registry.configs."r.local".tls]\n  ca_file = "/ca.pem"\n'))),
        case(lambda ev, h: (h.set_containerd_version(ev, '2.1.9'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n')))),
}


def _check_legacy_registry(ctx, eff, cv):
    """mirrors / configs.tls against config_path, on the merged registry table, per version."""
    cp = eff.config_path or ''
    conflict = []
    why = []
    if eff.mirrors and cp:
        conflict.append(eff.mirrors[1])
        why.append('"`mirrors` cannot be set when `config_path` is provided"')
    elif eff.mirrors and facts.mirrors_conflict_without_config_path(cv, eff.config_path, eff.version):
        conflict.append(eff.mirrors[1])
        why.append('"`mirrors` cannot be set when `config_path` is provided" (containerd %d.%d.%d fills in the '
                   'default config_path /etc/containerd/certs.d:/etc/docker/certs.d; 2.2.2 stopped doing so '
                   'next to mirrors)' % cv)
    if eff.tls and cp and facts.refuses_configs_tls_with_config_path(cv):
        conflict.append(eff.tls[1])
        why.append('"`configs.tls` cannot be set when `config_path` is provided"')
    if conflict:
        conflict.insert(0, eff.config_path_cite or '%s: config_path not set' % eff.main)
        ctx.findings.add('containerd-mirrors-with-config-path', conflict, (
            'The containerd configuration combines the deprecated registry %s with config_path. The CRI plugin '
            'then fails to load (%s, "invalid cri image config") and kubelet sees "unknown service '
            'runtime.v1.RuntimeService". Move the mirrors into certs.d/<host>/hosts.toml.' % (
                'mirrors' if eff.mirrors and eff.mirrors[1] in conflict else 'configs.tls', '; '.join(why))))
        return
    if eff.mirrors:
        ctx.findings.add('containerd-deprecated-mirrors', [eff.mirrors[1]], (
            'registry mirrors are configured with the deprecated registry.mirrors table ("`mirrors` is '
            'deprecated, please use `config_path` instead"); hosts.toml files under config_path replace it '
            'and apply without a restart.'))
    if eff.tls and facts.configs_tls_ignored(cv, cp):
        ctx.findings.add('containerd-configs-tls-ignored', [c for c in (eff.config_path_cite, eff.tls[1]) if c], (
            'containerd %s ignores the deprecated registry configs.tls, with or without config_path: 2.0 removed '
            'the field (only configs.<host>.auth is still read), so the TLS settings for %s are not applied. Put '
            'them in certs.d/<host>/hosts.toml (ca, client, skip_verify).' % (
                '%d.%d.%d' % cv if cv else '2.x', ', '.join(eff.tls[0]))))


def check(ctx, models):
    if models.containerd_in_use():
        _check_legacy_registry(ctx, models.containerd, models.containerd.assumed_version)
