# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The findings catalogue (id -> severity, title, remediation, doc), built from the finding modules, and the collector.

Ids are stable: they are part of the public contract (docs/findings.md, reports,
JUnit test case names). Each id appears at most once per host; repeated
occurrences add evidence lines to the same finding.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .evidence import redact_prose, redact_url

SEVERITIES = ('error', 'warning', 'info')
# pull: kubelet's pulls fail (or would); consumer: crictl, Spegel, a shim or kubeadm cannot reach
# the runtime; security: a risk to the node; hygiene: deprecated, redundant or informational.
CATEGORIES = ('pull', 'consumer', 'security', 'hygiene')
SEVERITY_RANK = {'error': 0, 'warning': 1, 'info': 2}

MANUAL = 'manual'
DOC_BASE = 'docs/findings.md#'

# The catalogue is built from the finding modules (diagnose/checks/<area>/<name>.py), which the
# diagnosis discovers; it is read on first use, so this module imports none of them.
_BUILT = {}


def _built():
    if not _BUILT:
        from .diagnose import catalogue as modules
        _BUILT['entries'] = modules.entries()
        _BUILT['causes'] = modules.causes()
        _BUILT['report_only'] = modules.report_only()
    return _BUILT


def _entry(fid):
    return _built()['entries'].get(fid)


def catalogue():
    """The catalogue as {id: {severity, title, remediation, category, doc}} (a fresh copy)."""
    return dict((fid, {'severity': sev, 'title': title, 'remediation': rem, 'category': cat, 'doc': DOC_BASE + fid})
                for fid, (sev, title, rem, cat) in _built()['entries'].items())


def __getattr__(name):
    """CATALOGUE, CAUSES and REPORT_ONLY (symptom id -> cause ids; the ids only the report adds), and the
    remediation role names, as module attributes built from the finding modules on first use."""
    if name == 'CATALOGUE':
        return catalogue()
    if name == 'CAUSES':
        return dict(_built()['causes'])
    if name == 'REPORT_ONLY':
        return _built()['report_only']
    if name in ('CONTAINERD', 'REGISTRIES', 'SOCKET', 'SHIM', 'NODE', 'PROXY_ENV'):
        from .diagnose import catalogue as modules
        return getattr(modules, name)
    raise AttributeError('module %r has no attribute %r' % (__name__, name))


class Findings(object):
    """Collects findings; one per id, evidence lines accumulated in order, deduplicated."""

    def __init__(self):
        self._by_id = {}

    def add(self, fid, evidence=(), explanation='', caused_by=None):
        if _entry(fid) is None:
            raise KeyError('unknown finding id %r' % fid)
        if caused_by is not None and _entry(caused_by) is None:
            raise KeyError('unknown cause id %r' % caused_by)
        f = self._by_id.get(fid)
        if f is None:
            sev, title, rem, cat = _entry(fid)
            f = self._by_id[fid] = {
                'id': fid, 'severity': sev, 'title': title, 'evidence': [],
                'explanation': [], 'remediation': rem, 'fixed': False,
                'category': cat, 'caused_by': None,
            }
        if caused_by and not f['caused_by'] and caused_by != fid:
            f['caused_by'] = caused_by
        if isinstance(evidence, str):
            evidence = [evidence]
        for line in evidence:
            line = redact_url(str(line))
            if line not in f['evidence']:
                f['evidence'].append(line)
        if explanation:
            explanation = redact_prose(explanation)
            if explanation not in f['explanation']:
                f['explanation'].append(explanation)
        return f

    def ids(self):
        return sorted(self._by_id)

    def get(self, fid):
        """The finding ``fid`` as collected so far (evidence and explanation lists), or None."""
        return self._by_id.get(fid)

    def leave_to_person(self, fid, next_step):
        """No remediation role fixes ``fid`` with the settings given: it is ``manual``, and
        ``next_step`` says which setting (or edit) would fix it."""
        f = self._by_id.get(fid)
        if f is not None:
            f['remediation'] = MANUAL
            f['next_step'] = redact_prose(next_step)

    def rename(self, fid, new_fid, note):
        """Report finding ``fid`` as ``new_fid`` instead (same evidence), with ``note`` added to its explanation."""
        f = self._by_id.pop(fid, None)
        if f is None:
            return
        g = self.add(new_fid, f['evidence'], ' '.join(f['explanation']), caused_by=f['caused_by'])
        self.add(new_fid, (), note)
        return g

    def __contains__(self, fid):
        return fid in self._by_id

    def link_causes(self):
        """Set ``caused_by`` on every symptom whose cause (CAUSES) was found too."""
        for fid, f in self._by_id.items():
            if f['caused_by']:
                continue
            for cause in _built()['causes'].get(fid, ()):
                if cause in self._by_id:
                    f['caused_by'] = cause
                    break

    def result(self):
        self.link_causes()
        for f in self._by_id.values():
            # a cause that was not reported after all cannot explain anything
            if f['caused_by'] and f['caused_by'] not in self._by_id:
                f['caused_by'] = None
        out = []
        for f in self._by_id.values():
            g = dict(f)
            g['evidence'] = list(f['evidence'])
            g['explanation'] = ' '.join(f['explanation'])
            out.append(g)
        out.sort(key=sort_key)
        return out


def sort_key(finding):
    """The order of every findings list: errors first, then by id."""
    return (SEVERITY_RANK.get(finding.get('severity'), 9), finding.get('id') or '')


def root_first(findings):
    """Findings in report order: each root cause (sort_key order), then the symptoms it causes.

    A symptom whose cause is absent from the list counts as a root cause itself.
    Returns [(finding, depth)] with depth 0 for root causes and 1 for symptoms."""
    findings = list(findings or ())
    present = set(f.get('id') for f in findings)
    children = {}
    roots = []
    for f in sorted(findings, key=sort_key):
        cause = f.get('caused_by')
        if cause and cause in present and cause != f.get('id'):
            children.setdefault(cause, []).append(f)
        else:
            roots.append(f)
    out = []
    seen = set()

    def walk(f, depth):
        if f.get('id') in seen:
            return
        seen.add(f.get('id'))
        out.append((f, min(depth, 1)))
        for child in children.get(f.get('id'), ()):
            walk(child, depth + 1)
    for f in roots:
        walk(f, 0)
    for f in sorted(findings, key=sort_key):  # cycles: never lose a finding
        if f.get('id') not in seen:
            walk(f, 0)
    return out


def cause_counts(findings):
    """(root causes, symptoms) among open errors and warnings."""
    open_ = [f for f in findings or () if f.get('severity') in ('error', 'warning') and not f.get('fixed')]
    roots = symptoms = 0
    for _f, depth in root_first(open_):
        if depth:
            symptoms += 1
        else:
            roots += 1
    return roots, symptoms


def cause_summary(findings):
    """e.g. "2 root causes, 3 symptoms" (open errors and warnings)."""
    roots, symptoms = cause_counts(findings)
    return '%d root cause%s, %d symptom%s' % (roots, '' if roots == 1 else 's', symptoms, '' if symptoms == 1 else 's')


def counts(findings):
    c = {'error': 0, 'warning': 0, 'info': 0}
    for f in findings or ():
        sev = f.get('severity')
        if sev in c:
            c[sev] += 1
    return c
