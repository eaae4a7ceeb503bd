# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of unrendered-template: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'unrendered-template': finding(
        'error', 'A configuration value still holds an unrendered template ({{ ... }})',
        MANUAL, 'pull',
        applies_to='every runtime (files the running runtime and kubelet read)',
        doc="""A value in a file the runtime or kubelet reads still holds template markup (`{{ ... }}` or
`{% ... %}`): a template was copied without being rendered. The runtime uses the literal text as a URL,
path or image name; in hosts.toml the URL cannot be parsed and the whole file is ignored
(`hosts-toml-url-invalid`, listed under this finding). Comments are not considered.
""",
        error_text='level=error msg="failed to decode hosts.toml" error="unable to parse server {{ mirror_url }}: ..."',
        example='/etc/containerd/certs.d/docker.io/hosts.toml:1 [host."{{ mirror_url }}"]'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'unrendered-template': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'docker.io', '[host."{{ mirror_url }}"]\n  capabilities = ["pull"]\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'docker.io', '# rendered from {{ mirror_url }}\n[host."https://m.example.com"]\n'
                                        '  capabilities = ["pull"]\n'))),
}


_TEMPLATE_RE = re.compile(r'\{\{.*?\}\}|\{%.*?%\}')


_MAX_LINES = 10


def _whys(ctx):
    """Files whose values reach kubelet's pulls on this node's runtime."""
    name = (ctx.runtime or {}).get('name')
    whys = ['kubelet-config', 'shim-config']
    if name in ('containerd', 'k3s', 'rke2', 'k0s'):
        whys += ['containerd-config', 'certs-d', 'k3s-registries', 'rke2-registries']
    if name in ('crio', 'unknown', None):
        whys += ['registries-conf', 'crio-config']
    return whys


def check_templates(ctx):
    ev = ctx.ev
    lines = []
    for path in ev.paths_by_why(*_whys(ctx)):
        if path.endswith('.env') or '/default/' in path or '/sysconfig/' in path:
            continue
        text = ev.text(path)
        if not text or '{' not in text:
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            code = line.split(' #', 1)[0]
            if code.lstrip().startswith('#'):
                continue
            if _TEMPLATE_RE.search(code):
                lines.append(ctx.cite(path, lineno))
    if lines:
        ctx.findings.add('unrendered-template', lines[:_MAX_LINES], (
            'These values still hold template markup ({{ ... }}): the file was copied from a template that was '
            'never rendered, so the runtime uses the literal text as a registry, URL, path or image name and '
            'whatever depends on it fails (a hosts.toml URL with braces cannot be parsed and the whole file is '
            'ignored). Render the template or write the value.'))


def check(ctx, models):
    check_templates(ctx)
