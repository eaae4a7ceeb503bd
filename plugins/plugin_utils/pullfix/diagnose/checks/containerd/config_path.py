# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-config-path-unset, containerd-config-path-missing, containerd-config-path-
relative, containerd-config-path-not-directory, containerd-config-path-list: catalogue entries and user text,
the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import CONTAINERD, case, finding

FINDINGS = {
    'containerd-config-path-unset': finding(
        'error', 'containerd registry config_path is not set: certs.d/hosts.toml are ignored',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1 (no default config_path); 2.2+ on the transfer-service pull path (its default is a colon '
                   'list that path does not split)',
        causes=('containerd-import-replaces-cri-table',),
        doc="""On containerd 1.6, 1.7, 2.0 and 2.1 (none has a default; verified on 2.1.9 with a `version = 3` config) the CRI registry `config_path` \
is absent or empty, or on 2.2+ absent or empty while the node pulls through the transfer service (2.2 fills in \
`/etc/containerd/certs.d:/etc/docker/certs.d`, which that path takes as one directory: containerd#12636), while mirrors are wanted \
(`pullfix_registry_mirrors`) or `hosts.toml` files exist under `/etc/containerd/certs.d`: they are never read (Spegel incident). No error is logged; \
pulls go straight upstream.
""",
        error_text="""(no error: pulls bypass the mirror; on an offline node) failed to resolve reference "docker.io/library/nginx:latest": failed to \
do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": dial tcp: lookup registry-1.docker.io: no such host""",
        example="""/etc/containerd/config.toml:6 config_path = ""
/etc/containerd/certs.d/docker.io/hosts.toml: ignored"""),
    'containerd-config-path-missing': finding(
        'warning', 'containerd registry config_path names a directory that does not exist',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files), '
                   'both pull paths; a colon list on the local pull path only when none of its directories exists',
        doc="""`config_path` names a directory that does not exist: no host configuration applies (silently).
""",
        error_text='(no error: mirrors are not used)',
        example="""/etc/containerd/config.toml:6 config_path = "/etc/containerd/registry.d"
/etc/containerd/registry.d: missing"""),
    'containerd-config-path-relative': finding(
        'warning', 'containerd registry config_path is a relative path',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2',
        doc="""containerd joins config_path to its own working directory, which is `/` under systemd:
`config_path = "certs.d"` reads `/certs.d/<host>/hosts.toml`, not a directory next to
config.toml. Mirrors written where the path seems to point are never used.
""",
        example='/etc/containerd/config.toml:3 config_path = "certs.d"'),
    'containerd-config-path-not-directory': finding(
        'error', 'containerd registry config_path is not a directory',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""`config_path` names a file (often a `hosts.toml` itself) instead of the directory holding `<host>/hosts.toml`.
""",
        error_text='(no error: mirrors are not used)',
        example="""/etc/containerd/config.toml:6 config_path = "/etc/containerd/hosts.toml"
/etc/containerd/hosts.toml: file"""),
    'containerd-config-path-list': finding(
        'error', 'containerd >= 2.1 does not split a colon-separated config_path',
        CONTAINERD, 'pull',
        applies_to='containerd 2.1 and later on the transfer-service pull path only',
        doc="""containerd 2.1+ pulls through the transfer service unless `use_local_image_pull = true` or a setting the transfer service \
does not support (`discard_unpacked_layers = true`, `disable_snapshot_annotations = false`, `registry.mirrors`/`configs`/`auths`, \
`max_concurrent_downloads != 3`, `image_pull_with_sync_fs = true`) forces the local pull path. The transfer path does not split `config_path` on \
`:`; a list such as `/etc/containerd/certs.d:/etc/docker/certs.d` is taken as one directory name that does not exist. The local path splits it, so \
the EKS AL2023 layout (that list with `discard_unpacked_layers = true`) reads certs.d and draws no finding. The explanation names the pull path and \
what switches it (`facts.containerd.pull_path`). Where containerd's own log speaks (`runtime_view.journal`:
"Falling back to local image pull mode", or its absence on 2.1+ with the CRI plugin up), the pull path it names
is used instead of the prediction, and a difference is reported as `runtime-model-disagrees`.
""",
        error_text='(no error: mirrors are not used)',
        example='/etc/containerd/config.toml:3 config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'containerd-config-path-unset': (
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = ""\n')),
        case(lambda ev, h: (h.set_containerd_version(ev, '2.0.2'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "registry.k8s.io/pause:3.10"\n'
                                      '[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n')))),
    'containerd-config-path-missing': (
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/registry.d"\n'),
                            h.with_dir(ev, '/etc/containerd/registry.d', [], kind='missing'))),
        case()),
    'containerd-config-path-relative': (
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "certs.d"\n')),
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'))),
    'containerd-config-path-not-directory': (
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/hosts.toml"\n'),
                            h.with_dir(ev, '/etc/containerd/hosts.toml', [], kind='file'))),
        case()),
    'containerd-config-path-list': (
        case(lambda ev, h: (h.set_containerd_version(ev, '2.1.1'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                                  '  config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"\n'))),
        case(lambda ev, h: (h.set_containerd_version(ev, '2.0.5'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                                  '  config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"\n')))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = 'the certs.d roots model (models/containerd.py check_config_path)'
