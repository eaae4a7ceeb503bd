# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of k3s-template-drops-registries, k3s-template-full-copy, k3s-embedded-registry-idle: custom
containerd templates of k3s/RKE2 that are copies of a config (registries.yaml silently dropped), and the
embedded registry with nothing to serve (facts/k3s_templates.py).
Unit-tested only: k3s and RKE2 do not run in this project's test nodes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ....facts import k3s as kfacts
from ....facts import k3s_templates as facts
from ....parse import line_of
from ...catalogue import MANUAL, case, finding
from .registries_yaml import installed_version

_APPLIES = """k3s and RKE2, every version with custom templates; `{{ template "base" . }}` from v1.24.17, v1.25.13, v1.26.8, v1.27.5,
v1.28.1 (k3s#7992); `config-v3.toml.tmpl` from v1.31.6 / v1.32.2 (containerd 2.0, k3s PR #11626). Unit-tested only."""
BASE_LINE = '{{ template "base" . }}'

FINDINGS = {
    'k3s-template-drops-registries': finding(
        'error', 'A custom containerd template is a copied config: registries.yaml is ignored', MANUAL, 'pull',
        applies_to=_APPLIES, runtimes=('k3s', 'rke2'),
        doc="""The containerd template k3s/RKE2 renders at start (`<data-dir>/agent/etc/containerd/config-v3.toml.tmpl`, else
`config.toml.tmpl`) is a copy of a config, not a template: it neither extends `{{ template "base" . }}` nor keeps `config_path`
on the certs.d k3s generates from registries.yaml. Every mirror, auth and TLS entry of registries.yaml is then dropped
without a message (rke2#5084, k3s#6754): pulls go to the upstream, or fail for lack of credentials. Start the template
with `{{ template "base" . }}` and add only what differs; from k3s PR #13680 (2026) drop-ins in `config-v3.toml.d/` need no
template at all. The collection never edits the template.
""",
        error_text='(no error from k3s; pulls ignore registries.yaml: 401 Unauthorized / i/o timeout to the upstream)',
        example="""/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl: no {{ template "base" . }}, no certs.d config_path
/etc/rancher/k3s/registries.yaml:2 docker.io:"""),
    'k3s-template-full-copy': finding(
        'warning', 'A custom containerd template is a copied config', MANUAL, 'hygiene',
        applies_to=_APPLIES,
        doc="""As `k3s-template-drops-registries`, on a node whose registries.yaml has no mirrors or configs yet: nothing is lost now, but
the copy freezes k3s's generated config (new defaults, the sandbox image, the CNI paths of an upgrade) and will drop
registries.yaml once it has entries. Prefer `{{ template "base" . }}` plus the lines that differ.
""",
        error_text='(no error)',
        example='/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl: no {{ template "base" . }}, no certs.d config_path'),
    'k3s-embedded-registry-idle': finding(
        'warning', 'The k3s/RKE2 embedded registry is on but registries.yaml lists no mirrors', MANUAL, 'pull',
        applies_to='k3s and RKE2 with the embedded registry (v1.29.1+, k3s#9026); unit-tested only',
        doc="""`embedded-registry: true` starts the peer-to-peer registry (Spegel inside k3s/RKE2), but it serves only registries that have a
`mirrors:` entry in registries.yaml (an empty endpoint list is enough; `"*"` for all), so with none every pull goes to the
upstream (k3s#10364, k3d#1400). Add e.g. `mirrors: {docker.io: {}}`.
""",
        error_text='(no error: peers never serve; every pull goes to the upstream)',
        example='/etc/rancher/k3s/config.yaml:2 embedded-registry: true\n/etc/rancher/k3s/registries.yaml: no mirrors'),
}

TEMPLATE_DIR = '/var/lib/rancher/k3s/agent/etc/containerd'
COPIED = ('version = 3\n[plugins."io.containerd.cri.v1.images"]\n  snapshotter = "overlayfs"\n'
          '[plugins."io.containerd.cri.v1.runtime".containerd]\n  default_runtime_name = "runc"\n')
BASED = '{{ template "base" . }}\n\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.kata]\n  runtime_type = "io.containerd.kata.v2"\n'
MIRRORS = 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://mirror.example.com"\n'


def _template(ev, h, text, name=facts.TEMPLATE_V3):
    return h.with_file(ev, '%s/%s' % (TEMPLATE_DIR, name), text, 'k3s-template')


def _k3s_config(ev, h, text):
    return h.with_file(ev, '/etc/rancher/k3s/config.yaml', text, 'k3s-config')


CASES = {
    'k3s-template-drops-registries': [(
        case(lambda ev, h: (h.k3s(ev, 'v1.32.3+k3s1', MIRRORS), _template(ev, h, COPIED))),
        case(lambda ev, h: (h.k3s(ev, 'v1.32.3+k3s1', MIRRORS), _template(ev, h, BASED)))), (
        # a legacy template on a containerd 2.0 k3s is not rendered when config-v3.toml.tmpl exists
        case(lambda ev, h: (h.k3s(ev, 'v1.30.9+k3s1', MIRRORS), _template(ev, h, COPIED, facts.TEMPLATE_V2))),
        case(lambda ev, h: (h.k3s(ev, 'v1.32.3+k3s1', MIRRORS), _template(ev, h, COPIED, facts.TEMPLATE_V2),
                            _template(ev, h, BASED))))],
    'k3s-template-drops-registries-runtime-unused': (
        case(lambda ev, h: (h.with_version(ev, 'k3s', 'k3s version v1.32.3+k3s1 (abc)'),
                            h.with_file(ev, '/etc/rancher/k3s/registries.yaml', MIRRORS, 'k3s-registries'),
                            _template(ev, h, COPIED))),
        case(lambda ev, h: (h.with_version(ev, 'k3s', 'k3s version v1.32.3+k3s1 (abc)'),
                            h.with_file(ev, '/etc/rancher/k3s/registries.yaml', MIRRORS, 'k3s-registries'),
                            _template(ev, h, BASED)))),
    'k3s-template-full-copy': (
        case(lambda ev, h: (h.k3s(ev, 'v1.32.3+k3s1'), _template(ev, h, COPIED))),
        # a copy that keeps config_path on k3s's certs.d still carries registries.yaml
        case(lambda ev, h: (h.k3s(ev, 'v1.32.3+k3s1'), _template(ev, h, COPIED + '[plugins."io.containerd.cri.v1.images".'
                                                                 'registry]\n  config_path = "/var/lib/rancher/k3s/agent/'
                                                                 'etc/containerd/certs.d"\n')))),
    'k3s-embedded-registry-idle': (
        case(lambda ev, h: (h.k3s(ev, 'v1.32.3+k3s1', 'configs:\n  r.example.com:\n    tls:\n      insecure_skip_verify: '
                                                      'false\n'), _k3s_config(ev, h, 'embedded-registry: true\n'))),
        case(lambda ev, h: (h.k3s(ev, 'v1.32.3+k3s1', 'mirrors:\n  docker.io:\n'),
                            _k3s_config(ev, h, 'embedded-registry: true\n')))),
}


def _kind(path):
    return 'rke2' if '/rke2/' in path else 'k3s'


def _registries(ctx, kind):
    """(path, data, index) of the kind's registries.yaml, or None."""
    path = kfacts.registries_yaml(kind)
    if ctx.ev.text(path) is None:
        return None
    parsed = ctx.ev.parsed(path, 'yaml')
    if not parsed or parsed[2] is not None or not isinstance(parsed[0], dict):
        return None
    return path, parsed[0], parsed[1]


def _entries(data):
    return [(section, key) for section in ('mirrors', 'configs') if isinstance(data.get(section), dict)
            for key in data[section]]


def check(ctx, models):
    ev = ctx.ev
    templates = ev.paths_by_why('k3s-template')
    dirs = sorted(set(posixpath.dirname(p) for p in templates if ev.text(p) is not None))
    for directory in dirs:
        kind = _kind(directory)
        version = installed_version(ctx, kind)
        present = [posixpath.basename(p) for p in templates if posixpath.dirname(p) == directory and ev.text(p) is not None]
        name = facts.active_template(version, present) if version else (
            facts.TEMPLATE_V3 if facts.TEMPLATE_V3 in present else facts.TEMPLATE_V2)
        if not name:
            continue
        path = '%s/%s' % (directory, name)
        ctx.needed_paths.add(path)
        if not facts.is_full_copy(ev.text(path)):
            continue
        base = BASE_LINE if facts.base_available(version) else (
            'keep config_path = "%s/certs.d" (this release has no "base" template; it arrives in v1.24.17, v1.25.13, '
            'v1.26.8, v1.27.5, v1.28.1)' % directory)
        shown = '%s: no %s, no certs.d config_path%s' % (path, BASE_LINE, ' (the template %s %s renders)' % (
            kind, version) if version else '')
        reg = _registries(ctx, kind)
        entries = _entries(reg[1]) if reg else []
        if entries:
            rpath, _data, index = reg
            ctx.findings.add('k3s-template-drops-registries', [shown] + [
                ctx.cite(rpath, line_of(index, (section, key)) or None) for section, key in entries[:5]], (
                '%s renders a fixed config, so %s never reaches containerd: its %s are ignored and pulls go to the '
                'upstream or fail without its credentials. Start the template with %s and keep only the lines '
                'that differ.' % (path, rpath, ', '.join('%s %s' % (s, k) for s, k in entries[:5]), base)))
        else:
            ctx.findings.add('k3s-template-full-copy', [shown], (
                '%s is a copied config: it freezes k3s\'s generated settings and would drop registries.yaml entries. '
                'Start it with %s.' % (path, base)))
    _embedded(ctx)


def _embedded(ctx):
    ev = ctx.ev
    for kind in kfacts.KINDS:
        enabled = None
        for path in ev.paths_by_why('%s-config' % kind):
            parsed = ev.parsed(path, 'yaml') if ev.text(path) is not None else None
            if parsed and parsed[2] is None and isinstance(parsed[0], dict) and parsed[0].get('embedded-registry') is True:
                enabled = ctx.cite(path, line_of(parsed[1], ("embedded-registry",)) or None)
        for proc in ev.processes_named(*(('rke2',) if kind == 'rke2' else ('k3s', 'k3s-server'))):
            if '--embedded-registry' in (proc.get('cmdline') or []):
                enabled = '%s: --embedded-registry' % proc.get('name')
        if not enabled:
            continue
        reg = _registries(ctx, kind)
        mirrors = reg[1].get('mirrors') if reg else None
        if not (isinstance(mirrors, dict) and mirrors):
            ctx.findings.add('k3s-embedded-registry-idle', [enabled, '%s: no mirrors' % kfacts.registries_yaml(kind)], (
                'The %s embedded registry is on but serves only registries listed under mirrors: in %s, and none is '
                'listed: every pull goes to the upstream. Add the registries to share, e.g. mirrors: {docker.io: {}}.' % (
                    kind, kfacts.registries_yaml(kind))))
