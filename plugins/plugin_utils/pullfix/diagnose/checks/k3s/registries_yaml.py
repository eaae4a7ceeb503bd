# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of k3s-wildcard-mirror-broken, k3s-mirror-key-invalid, k3s-endpoint-no-scheme, k3s-registries-
unparsable: catalogue entries and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import distro_version
from ....facts import k3s as facts
from ....parse import describe, line_of
from ...catalogue import CONTAINERD, case, finding

FINDINGS = {
    'k3s-wildcard-mirror-broken': finding(
        'error', 'Wildcard "*" mirror breaks default-endpoint fallback on this k3s/RKE2 version',
        CONTAINERD, 'pull',
        applies_to='k3s/RKE2 v1.32.2 and v1.31.6 (fixed in v1.32.3 / v1.31.7)',
        runtimes=('k3s', 'rke2'),
        doc="""registries.yaml has a `"*"` mirror on k3s v1.32.2+k3s1 / v1.31.6+k3s1 (RKE2 v1.32.2+rke2r1 / v1.31.6+rke2r1), whose containerd 2.0 \
never falls back to the default endpoint. Fixed in v1.32.3 / v1.31.7.
""",
        error_text="""failed to resolve reference "docker.io/rancher/mirrored-pause:3.6": docker.io/rancher/mirrored-pause:3.6: not found
(core pods stay in ContainerCreating)""",
        example="""/etc/rancher/k3s/registries.yaml:2 "*":
k3s version v1.32.2+k3s1"""),
    'k3s-mirror-key-invalid': finding(
        'error', 'registries.yaml mirror key is not a bare registry host[:port]',
        CONTAINERD, 'pull',
        applies_to='k3s, RKE2',
        runtimes=('k3s', 'rke2'),
        doc="""A registries.yaml mirror key has a scheme, a path or a trailing slash; keys must equal the image registry `host[:port]` exactly, so \
the entry never matches.
""",
        error_text='(no error: the mirror is not used)',
        example='/etc/rancher/k3s/registries.yaml:2 https://docker.io/:'),
    'k3s-endpoint-no-scheme': finding(
        'warning', 'registries.yaml mirror endpoint has no scheme',
        CONTAINERD, 'hygiene',
        applies_to='k3s, RKE2',
        doc="""A registries.yaml endpoint has no scheme; https is assumed, so a plain-HTTP mirror fails.
""",
        error_text='http: server gave HTTP response to HTTPS client',
        example='/etc/rancher/k3s/registries.yaml:3 - m.example.com:5000'),
    'k3s-registries-unparsable': finding(
        'error', 'k3s/RKE2 registries.yaml cannot be parsed',
        CONTAINERD, 'pull',
        applies_to='k3s, RKE2',
        runtimes=('k3s', 'rke2'),
        doc="""registries.yaml is not valid YAML (an unquoted `*` key is a YAML alias); k3s ignores or rejects it.

Error text:

```text
failed to unmarshal registries.yaml: yaml: line 2: did not find expected alphabetic or numeric character
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/etc/rancher/k3s/registries.yaml:2 *:
```
"""),
}


def k3s_installed(ev, h, registries):
    """Case: a k3s binary (v1.32.2+k3s1) and its registries.yaml on a node whose kubelet uses containerd."""
    h.with_version(ev, 'k3s', 'k3s version v1.32.2+k3s1 (abc)\ngo version go1.23.6')
    return h.with_file(ev, h.K3S_REG, registries, 'k3s-registries')


# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'k3s-wildcard-mirror-broken': [(
        case(lambda ev, h: h.k3s(ev, 'v1.32.2+k3s1', 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n')),
        case(lambda ev, h: h.k3s(ev, 'v1.32.3+k3s1', 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n'))), (
        # the same file and k3s binary on a node whose kubelet uses containerd: not an error there
        case(lambda ev, h: h.k3s(ev, 'v1.32.2+k3s1', 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n')),
        case(lambda ev, h: k3s_installed(ev, h, 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n')))],
    'k3s-wildcard-mirror-broken-runtime-unused': (
        case(lambda ev, h: k3s_installed(ev, h, 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n')),
        case(lambda ev, h: h.k3s(ev, 'v1.32.2+k3s1', 'mirrors:\n  "*":\n    endpoint:\n      - "https://m.example.com"\n'))),
    'k3s-mirror-key-invalid': (
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  https://docker.io/:\n    endpoint: ["https://m.example.com"]\n'),
             None, {'remediation': 'manual', 'next_step': 'does not rename mirror keys'}),
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["https://m.example.com"]\n'))),
    'k3s-endpoint-no-scheme': [(
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["m.example.com:5000"]\n'),
             None, {'remediation': 'manual', 'next_step': 'declare "docker.io" in pullfix_registry_mirrors'}),
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["http://m.example.com:5000"]\n'))), (
        # declared: the role writes the entry's endpoints from the settings
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["m.example.com:5000"]\n'),
             {'registry_mirrors': {'docker.io': {'endpoints': ['http://m.example.com:5000']}}}),
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  docker.io:\n    endpoint: ["http://m.example.com:5000"]\n'),
             {'registry_mirrors': {'docker.io': {'endpoints': ['http://m.example.com:5000']}}}))],
    'k3s-mirror-key-invalid-runtime-unused': (
        case(lambda ev, h: k3s_installed(ev, h, 'mirrors:\n  https://docker.io/:\n    endpoint: ["https://m.example.com"]\n')),
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  https://docker.io/:\n    endpoint: ["https://m.example.com"]\n'))),
    'k3s-registries-unparsable-runtime-unused': (
        case(lambda ev, h: k3s_installed(ev, h, 'mirrors:\n  *:\n    endpoint: ["https://m.example.com"]\n')),
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  *:\n    endpoint: ["https://m.example.com"]\n'))),
    'k3s-registries-unparsable': (
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  *:\n    endpoint: ["https://m.example.com"]\n'),
             None, {'remediation': 'manual', 'next_step': 'correct /etc/rancher/k3s/registries.yaml by hand'}),
        case(lambda ev, h: h.k3s(ev, registries='mirrors:\n  "*":\n    endpoint: ["https://m.example.com"]\n'))),
}


def installed_version(ctx, kind):
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
    version = installed_version(ctx, kind)
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


def check(ctx, models):
    check_registries_yaml(ctx)


def _affected_keys(ctx, fid):
    """(path, mirror keys) of the registries.yaml files behind ``fid``, as the check found them."""
    out = []
    for kind in facts.KINDS:
        default = facts.registries_yaml(kind)
        for path in ctx.ev.paths_by_why('%s-registries' % kind) or ([default] if ctx.ev.file(default) else []):
            loaded = ctx.ev.parsed(path, 'yaml')
            if not loaded:
                continue
            data, _index, err = loaded
            mirrors = data.get('mirrors') if err is None and isinstance(data, dict) and isinstance(
                data.get('mirrors'), dict) else {}
            if fid == 'k3s-registries-unparsable':
                problems = [((), None, None)] if err is not None else facts.registries_shape_problems(data)
                keys = [kp[1] if kp[-1:] == ('endpoint',) and len(kp) > 1 else None for kp, _v, _e in problems]
            elif fid == 'k3s-mirror-key-invalid':
                keys = [None for key in mirrors if key != '*' and ('://' in str(key) or '/' in str(key))]
            else:
                keys = [str(key) for key, entry in mirrors.items() if isinstance(entry, dict) and any(
                    isinstance(ep, str) and not ep.startswith(('http://', 'https://'))
                    for ep in (entry.get('endpoint') if isinstance(entry.get('endpoint'), list) else []))]
            if keys:
                out.append((path, keys))
    return out


def next_step(ctx, models, fid, finding):
    """containerd_registry rewrites the entries of the registries declared in pullfix_registry_mirrors (and
    expands a broken "*"); it leaves every other entry, and a file it cannot read, as they are."""
    if fid == 'k3s-wildcard-mirror-broken':
        return None
    declared = ctx.settings.get('registry_mirrors') or {}
    paths, left = [], []
    for path, keys in _affected_keys(ctx, fid):
        for key in keys:
            if key is not None and key in declared:
                continue
            if path not in paths:
                paths.append(path)
            if key is not None and key not in left:
                left.append(key)
    if not paths:
        return None
    if left:
        names = ', '.join('"%s"' % k for k in left)
        return ('declare %s in pullfix_registry_mirrors (kubenode.pullfix.containerd_registry rewrites the entries of '
                'declared registries only), or correct %s by hand' % (names, ', '.join(paths)))
    return ('correct %s by hand: kubenode.pullfix.containerd_registry does not rename mirror keys or rewrite a '
            'registries.yaml it cannot read' % ', '.join(paths))
