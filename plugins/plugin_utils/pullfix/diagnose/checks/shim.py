# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on Sealos image-cri-shim and kubeadm's imageRepository."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...evidence import endpoint_path, url_host
from ...facts.shim import DEFAULT_REPOSITORY, REGISTRY_UNIT, RUNTIME_UNITS, SHIM_CONFIG, SHIM_UNIT
from ...systemd_unit import unit_file_problems


def required_after(ctx):
    """Units the shim must start after: the runtime's unit and the local registry's."""
    runtime = RUNTIME_UNITS.get((ctx.runtime or {}).get('name'), RUNTIME_UNITS['containerd'])
    registry = ctx.settings.get('shim_registry_unit') or REGISTRY_UNIT
    if isinstance(registry, str) and '.' not in registry:
        registry += '.service'
    return (runtime, registry)


def _list(value):
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value.split()
    return []


def shim_config(ctx):
    if not ctx.ev.file(SHIM_CONFIG):
        return None
    loaded = ctx.load(SHIM_CONFIG, 'yaml', 'shim-config-unparsable', 'The image-cri-shim configuration')
    if not loaded or not isinstance(loaded[0], dict):
        return None
    return loaded


def check_unit(ctx):
    u = ctx.ev.unit(SHIM_UNIT)
    if not u:
        return
    after = _list(u.get('After'))
    missing = [x for x in required_after(ctx) if x not in after]
    if missing:
        ctx.findings.add('shim-unit-unordered', [
            '%s: After=%s' % (u.get('FragmentPath') or SHIM_UNIT, ' '.join(after)),
            'DropInPaths=%s' % ' '.join(_list(u.get('DropInPaths')))], (
            '%s has no After= on %s, so at boot it can start before them and kubelet gets "dial unix '
            '/var/run/image-cri-shim.sock: connect: connection refused" or images are not rewritten to the '
            'local registry.' % (SHIM_UNIT, ' and '.join(missing))))


def check_unit_files(ctx):
    """Lines of the shim's unit file and drop-ins that systemd ignores (the cri_shim role does
    not change a unit it cannot read), and a missing configuration file."""
    u = ctx.ev.unit(SHIM_UNIT)
    if not u:
        return
    for path in [u.get('FragmentPath')] + list(u.get('DropInPaths') or []):
        text = ctx.ev.text(path) if path else None
        if text is None:
            continue
        ctx.needed_paths.add(path)
        problems = unit_file_problems(text, path)
        if problems:
            ctx.findings.add('shim-unit-unparsable', [ctx.cite(path, no) for no, _words in problems], (
                '%s: systemd ignores %s (%s); kubenode.pullfix.cri_shim leaves this unit alone until it is '
                'fixed by hand.' % (path, 'this line' if len(problems) == 1 else 'these lines', problems[0][1])))
    if ctx.ev.file(SHIM_CONFIG) and not ctx.ev.exists(SHIM_CONFIG):
        ctx.findings.add('shim-config-missing', ['%s: missing' % SHIM_CONFIG, '%s: %s' % (
            u.get('FragmentPath') or SHIM_UNIT, u.get('ExecStart') or '')], (
            '%s is installed but %s does not exist: the shim does not start and kubelet gets "dial unix '
            '/var/run/image-cri-shim.sock: connect: no such file or directory".' % (SHIM_UNIT, SHIM_CONFIG)))


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
