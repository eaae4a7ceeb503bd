# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The finding modules (diagnose/checks/<area>/<name>.py): found, complete, and the source of the
catalogue and of docs/findings.md."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import os

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import findings
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import catalogue, docs

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
DIAGNOSE = os.path.join(ROOT, 'plugins', 'plugin_utils', 'pullfix', 'diagnose')


def test_docs_findings_md_is_rendered_from_the_modules():
    with open(os.path.join(ROOT, 'docs', 'findings.md')) as f:
        committed = f.read()
    assert committed == docs.render(), 'docs/findings.md is stale: run make docs'


def test_every_module_declares_its_ids_and_how_they_are_found():
    for mod in catalogue.modules():
        assert mod.FINDINGS, mod.__name__
        assert callable(getattr(mod, 'check', None)) or getattr(mod, 'SOURCE', None), mod.__name__
        area = catalogue.area_of(mod)
        assert area.TITLE and isinstance(area.RANK, int), area.__name__
        for fid, e in mod.FINDINGS.items():
            assert e['severity'] in findings.SEVERITIES and e['category'] in findings.CATEGORIES, fid
            assert e['doc'].strip() and e['applies_to'] and e['example'] is not None or '```' in e['doc'], fid


def test_catalogue_names_are_built_from_the_modules():
    ids = set(fid for mod in catalogue.modules() for fid, _e in catalogue.expanded(mod))
    assert set(findings.CATALOGUE) == ids
    assert findings.REPORT_ONLY == frozenset(['host-not-diagnosed', 'remediation-refused', 'remediation-rolled-back',
                                              'remediation-failed', 'host-not-reached'])
    assert findings.CAUSES['pull-proxy-connect'] == ('proxy-no-proxy-missing',)
    assert findings.CATALOGUE['sandbox-image-not-local'] == {
        'severity': 'error', 'title': 'The sandbox (pause) image comes from another registry than the local one',
        'remediation': 'kubenode.pullfix.containerd_registry', 'category': 'pull',
        'doc': 'docs/findings.md#sandbox-image-not-local'}


PROBE_AREA = "TITLE = 'Probe'\nRANK = 999\n"
PROBE = """
from ...catalogue import MANUAL, finding
FINDINGS = {'probe-found': finding('info', 'Probe', MANUAL, 'hygiene', applies_to='tests', doc='A probe.', example='x')}


def check(ctx, models):
    ctx.findings.add('probe-found', ['runtime %s' % models.runtime.get('name')], 'found by walking the package')
"""


def test_a_new_module_is_found_without_a_list(tmp_path, monkeypatch):
    """Adding a finding is adding one module: discovery walks the package, the catalogue follows."""
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import checks
    from pullfix_helpers import load, run
    area = tmp_path / 'zz_probe'
    area.mkdir()
    (area / '__init__.py').write_text(PROBE_AREA)
    (area / 'probe.py').write_text(PROBE)
    monkeypatch.setattr(checks, '__path__', list(checks.__path__) + [str(tmp_path)])
    monkeypatch.setattr(catalogue, '_MODULES', [])
    monkeypatch.setattr(findings, '_BUILT', {})
    assert findings.CATALOGUE['probe-found']['severity'] == 'info'
    probe = [f for f in run(load())['findings'] if f['id'] == 'probe-found']
    assert probe and probe[0]['evidence'] == ['runtime containerd']
    for name in os.listdir(DIAGNOSE):
        if name.endswith('.py'):
            with open(os.path.join(DIAGNOSE, name)) as f:
                tree = ast.parse(f.read())
            imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == 'checks'
                        for a in n.names]
            assert imported == [], '%s imports check modules by name: %s' % (name, imported)


def test_no_function_in_diagnose_is_longer_than_80_lines():
    long = []
    for base, _dirs, files in os.walk(DIAGNOSE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(base, name)
            with open(path) as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 80:
                    long.append('%s:%d %s (%d lines)' % (os.path.relpath(path, DIAGNOSE), node.lineno, node.name,
                                                         node.end_lineno - node.lineno + 1))
    assert long == []


def test_a_runtime_bound_error_has_a_warning_twin_for_nodes_that_run_another_runtime():
    bound = catalogue.runtime_bound()
    assert set(['k3s-config-unparsable', 'k3s-mirror-key-invalid', 'k3s-registries-unparsable',
                'k3s-wildcard-mirror-broken', 'k3s-template-drops-registries', 'crio-signature-policy-missing']) <= set(bound)
    for fid, (runtimes, twin) in bound.items():
        assert runtimes == (('k3s', 'rke2') if fid.startswith('k3s-') else ('crio',) if fid.startswith('crio-') else runtimes)
        assert runtimes
        assert findings.CATALOGUE[fid]['severity'] == 'error'
        assert findings.CATALOGUE[twin]['severity'] == 'warning' and findings.CATALOGUE[twin]['remediation'] == 'manual'


def test_only_the_evidence_read_check_runs_after_the_others():
    last = [mod.__name__.rsplit('.', 2)[-2:] for mod in catalogue.modules() if getattr(mod, 'RUNS_LAST', False)]
    assert last == [['evidence', 'read_errors']]
