# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of kubeadm-image-repository-not-local, kubeadm-config-unparsable: catalogue entries and user
text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import url_host
from ....facts.shim import DEFAULT_REPOSITORY, SHIM_CONFIG
from ...catalogue import MANUAL, SHIM, case, finding
from . import shim_config

FINDINGS = {
    'kubeadm-image-repository-not-local': finding(
        'error', 'kubeadm imageRepository is not the local registry',
        SHIM, 'pull',
        applies_to='kubeadm nodes with a local registry',
        doc="""kubeadm's ClusterConfiguration `imageRepository` is not the local registry (`pullfix_local_registry`, or the host of the shim's \
`address`); kubeadm pulls from registry.k8s.io on an offline node.
""",
        error_text="""[ERROR ImagePull]: failed to pull image registry.k8s.io/kube-apiserver:v1.27.7: output: ... dial tcp: lookup registry.k8s.io: \
no such host""",
        example="""/etc/kubernetes/kubeadm.yaml:6 imageRepository: registry.k8s.io
local registry sealos.hub:5000 (/etc/image-cri-shim.yaml:3 address: http://sealos.hub:5000)"""),
    'kubeadm-config-unparsable': finding(
        'warning', 'kubeadm configuration file cannot be parsed',
        MANUAL, 'hygiene',
        applies_to='kubeadm',
        doc="""A kubeadm configuration file on the node is not valid YAML; its imageRepository cannot be checked.

Error text:

```text
error unmarshaling JSON: while decoding JSON: ...
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/etc/kubernetes/kubeadm.yaml:2 x: [
```
"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'kubeadm-image-repository-not-local': [(
        # the local registry comes from the shim's config only: cri_shim needs pullfix_local_registry to act
        case(lambda ev, h: (h.shim(ev), h.with_file(ev, '/etc/kubernetes/kubeadm.yaml',
                                                    'apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n---\n'
                                                    'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n'
                                                    'imageRepository: registry.k8s.io\n', 'kubeadm-config')),
             None, {'remediation': 'manual', 'next_step': 'set pullfix_local_registry to sealos.hub:5000'}),
        case(lambda ev, h: (h.shim(ev), h.with_file(ev, '/etc/kubernetes/kubeadm.yaml',
                                                    'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n'
                                                    'imageRepository: sealos.hub:5000\n', 'kubeadm-config')))), (
        case(lambda ev, h: (h.shim(ev), h.with_file(ev, '/etc/kubernetes/kubeadm.yaml',
                                                    'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n'
                                                    'imageRepository: registry.k8s.io\n', 'kubeadm-config')),
             {'local_registry': 'sealos.hub:5000'}),
        case(lambda ev, h: (h.shim(ev), h.with_file(ev, '/etc/kubernetes/kubeadm.yaml',
                                                    'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n'
                                                    'imageRepository: sealos.hub:5000\n', 'kubeadm-config')),
             {'local_registry': 'sealos.hub:5000'}))],
    'kubeadm-config-unparsable': (
        case(lambda ev, h: (h.shim(ev), h.with_file(ev, '/etc/kubernetes/kubeadm.yaml', 'kind: ClusterConfiguration\n  x: [\n',
                                                    'kubeadm-config'))),
        case(lambda ev, h: h.with_file(ev, '/etc/kubernetes/kubeadm.yaml', 'kind: ClusterConfiguration\n', 'kubeadm-config'))),
}


def local_registry(ctx):
    local = ctx.settings.get('local_registry')
    if local:
        return url_host(local), 'pullfix_local_registry'
    loaded = shim_config(ctx)
    if loaded and isinstance(loaded[0].get('address'), str):
        return url_host(loaded[0]['address']), ctx.cite(SHIM_CONFIG, loaded[1].get(('address',)))
    return None, None


def check_image_repository(ctx):
    local, source = local_registry(ctx)
    if not local:
        return
    for path in ctx.ev.paths_by_why('kubeadm-config'):
        if not ctx.ev.file(path):
            continue
        loaded = ctx.load(path, 'yaml-all', 'kubeadm-config-unparsable', 'The kubeadm configuration')
        if not loaded:
            continue
        for doc, index in loaded[0]:
            if not isinstance(doc, dict) or doc.get('kind') != 'ClusterConfiguration':
                continue
            repo = doc.get('imageRepository')
            if repo and url_host(repo) == local:
                continue
            cite = ctx.cite(path, index.get(('imageRepository',)) if repo else index.get(('kind',)))
            ctx.findings.add('kubeadm-image-repository-not-local', [cite, 'local registry %s (%s)' % (local, source)], (
                'kubeadm pulls control-plane and pause images from %s%s instead of the local registry %s; '
                'on an offline node "kubeadm config images pull" fails reaching %s.' % (
                    repo or DEFAULT_REPOSITORY, '' if repo else ' (imageRepository not set)', local,
                    url_host(repo or DEFAULT_REPOSITORY))))


def check(ctx, models):
    check_image_repository(ctx)


def next_step(ctx, models, fid, finding):
    """cri_shim sets kubeadm's imageRepository only from pullfix_local_registry."""
    if ctx.settings.get('local_registry'):
        return None
    local, source = local_registry(ctx)
    return ('set pullfix_local_registry to %s (the registry %s names): kubenode.pullfix.cri_shim sets kubeadm\'s '
            'imageRepository only from pullfix_local_registry' % (local, source))
