# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on k3s / RKE2 registries.yaml and their generated certs.d."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...evidence import distro_version
from ...facts import k3s as facts
from ...parse import describe, line_of


def _installed_version(ctx, kind):
    rt = ctx.runtime or {}
    if rt.get('name') == kind and rt.get('version'):
        return rt['version']
    return distro_version(ctx.ev.version_output(kind), kind)


def check_registries_yaml(ctx):
    ev = ctx.ev
    for kind in facts.KINDS:
        default = facts.registries_yaml(kind)
        paths = ev.paths_by_why('%s-registries' % kind) or ([default] if ev.file(default) else [])
        for path in paths:
            loaded = ctx.load(path, 'yaml', 'k3s-registries-unparsable', 'The %s registries.yaml' % kind)
            if not loaded:
                continue
            data, index = loaded
            problems = facts.registries_shape_problems(data)
            if problems:
                ctx.findings.add('k3s-registries-unparsable', [
                    ctx.cite(path, line_of(index, keypath) or None) for keypath, _v, _e in problems], (
                    '%s cannot decode %s: %s. None of the file\'s mirrors and configs are applied.' % (
                        kind, path, '; '.join('%s is %s, expected %s' % (
                            '.'.join(str(k) for k in keypath) or 'the document', describe(value), expected)
                            for keypath, value, expected in problems[:5]))))
                continue
            mirrors = data.get('mirrors') if isinstance(data.get('mirrors'), dict) else {}
            _check_mirrors(ctx, kind, path, mirrors, index)


def _check_mirrors(ctx, kind, path, mirrors, index):
    version = _installed_version(ctx, kind)
    if '*' in mirrors:
        fixed_in = facts.wildcard_fixed_in(version)
        if fixed_in:
            ctx.findings.add('k3s-wildcard-mirror-broken', [ctx.cite(path, index.get(('mirrors', '*'))),
                                                            '%s version %s' % (kind, version)], (
                '%s %s (containerd 2.0) never falls back to the default endpoint when the "*" mirror is '
                'used: pulls fail with "not found" and core pods stay in ContainerCreating. Fixed in '
                '%s; on this version use an explicit entry per registry instead of "*".' % (
                    kind, version, fixed_in)))
    for key in sorted(str(k) for k in mirrors):
        entry = mirrors.get(key)
        cite = ctx.cite(path, index.get(('mirrors', key)))
        if key != '*' and ('://' in key or '/' in key):
            ctx.findings.add('k3s-mirror-key-invalid', [cite], (
                'Mirror key "%s" must be the image registry exactly as in image names (host[:port]), without '
                'scheme, path or trailing slash; as written it never matches an image.' % key))
        endpoints = entry.get('endpoint') if isinstance(entry, dict) else None
        for i, ep in enumerate(endpoints if isinstance(endpoints, list) else []):
            if isinstance(ep, str) and not (ep.startswith('http://') or ep.startswith('https://')):
                ctx.findings.add('k3s-endpoint-no-scheme', [ctx.cite(path, index.get(('mirrors', key, 'endpoint', i)))], (
                    'Endpoint "%s" of mirror %s has no scheme; https is assumed. Write http:// for a '
                    'plain-HTTP registry.' % (ep, key)))


def check_generated_certs_d(ctx):
    ev = ctx.ev
    for path in ev.paths_by_why('certs-d'):
        if not path.endswith('/hosts.toml'):
            continue
        if not facts.is_generated(path):
            continue
        text = ev.text(path)
        if text is None:
            continue
        if facts.GENERATED_HEADER not in text[:400]:
            ctx.findings.add('k3s-generated-certs-d-edited', [ctx.cite(path, 1, toml=True)], (
                '%s lacks the "%s" header: it was written by hand into the directory k3s/RKE2 regenerates '
                'from registries.yaml at every start, so the change is lost (or conflicts). Put the mirror '
                'into registries.yaml and restart the service.' % (path, facts.GENERATED_HEADER)))
