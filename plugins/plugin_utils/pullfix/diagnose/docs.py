# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""docs/findings.md, rendered from the finding modules (``make docs``; a unit test fails when it is stale)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import catalogue

INTRO = """Every finding `kubenode.pullfix.diagnose` can report, one section per id. Ids are stable. Each finding carries
a severity (`error`: kubelet's pulls, or the tool or consumer the finding names, fail now; `warning`: a risk
or a deprecated form; `info`), a category (`pull`: kubelet cannot pull; `consumer`: crictl, Spegel, a shim or
kubeadm cannot reach the runtime; `security`; `hygiene`), `caused_by` (the id of the root cause when the
finding is its consequence, else null), a title, evidence lines (`file:line text` where a file is involved, secrets shown as `<redacted>`),
an explanation, and the remediation: the role that fixes it, or `manual`. A role that acts only on a setting is named
only when the settings given let it fix the finding; otherwise the remediation is `manual` and `next_step` names the
setting that would (e.g. "declare the registry in pullfix_registry_mirrors"). An id appears at most once per host;
several occurrences add evidence lines. The diagnosis sorts findings by severity (error, warning, info), then id;
the reports list root causes first, each followed by the symptoms it causes, and count them ("2 root causes,
3 symptoms"). "Applies to" names the runtimes and versions where the finding is reported; the facts come from
each runtime's source, cited in `plugins/plugin_utils/pullfix/facts/`.

The "error text" is what a user sees in kubelet, kubeadm, containerd, CRI-O or crictl logs (values such as
paths and image names vary). Where the problem produces no error at all, that is said, because the silence
is the symptom.
"""

FENCE = '```'


def areas():
    """[(title, intro, [(id, entry)])] in rank order; areas with the same title are one section."""
    out = []
    for mod in catalogue.modules():
        area = catalogue.area_of(mod)
        if not out or out[-1][0] != area.TITLE:
            out.append((area.TITLE, getattr(area, 'INTRO', None), []))
        out[-1][2].extend(catalogue.expanded(mod))
    return out


def _anchor(fid):
    return '[`%s`](#%s)' % (fid, fid)


def _section(fid, e):
    lines = ['### ' + fid, '', '- Severity: **%s**' % e['severity'], '- Title: ' + e['title'],
             '- Remediation: `%s`' % e['remediation'], '- Category: `%s`' % e['category'],
             '- Applies to: ' + e['applies_to'], '', e['doc'].rstrip('\n')]
    if e['error_text'] is not None:
        lines += ['', 'Error text:', '', FENCE + 'text', e['error_text'], FENCE]
    if e['example'] is not None:
        lines += ['', 'Evidence shown (example):', '', FENCE + 'text', e['example'], FENCE]
    return '\n'.join(lines) + '\n'


def render():
    parts = ['# Findings\n\n' + INTRO.rstrip('\n') + '\n']
    index = ['- %s: %s' % (title, ', '.join(_anchor(fid) for fid, _e in items)) for title, _intro, items in areas()]
    parts.append('\n'.join(index) + '\n')
    for title, intro, items in areas():
        parts.append('## ' + title + '\n' + ('\n' + intro.rstrip('\n') + '\n' if intro else ''))
        parts.extend(_section(fid, e) for fid, e in items)
    return '\n'.join(parts)


def main(path):
    with open(path, 'w') as f:
        f.write(render())
