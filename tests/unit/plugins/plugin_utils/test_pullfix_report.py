# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Report rendering (pure) and the report action's atomic writer."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import xml.etree.ElementTree as ET

from pullfix_helpers import load, run, with_socket

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import report


def fleet():
    ev = load()
    with_socket(ev, '/run/containerd/containerd.sock', mode='0666')
    bad = run(ev, {'search_registries': ['quay.io']})
    bad['findings'][0]['fixed'] = True
    good = run(load())
    return [
        {'host': 'node2', 'runtime': good['runtime'], 'findings': good['findings'], 'changes': [],
         'verify': [{'image': 'registry.k8s.io/pause:3.9', 'ok': False, 'image_ref': None,
                     'error': 'rpc error: code = NotFound desc = failed to resolve reference'}]},
        {'host': 'node1', 'runtime': bad['runtime'], 'findings': bad['findings'],
         'changes': [{'path': '/etc/containers/registries.conf.d/zz-pullfix.conf', 'action': 'created', 'backup': None}],
         'verify': [{'image': 'registry.k8s.io/pause:3.9', 'ok': True, 'image_ref': 'sha256:abc', 'error': None}]},
    ]


def test_host_json_shape():
    hosts = fleet()
    data = json.loads(report.render_host_json(hosts[1]))
    assert sorted(data) == ['changes', 'commands', 'findings', 'host', 'notes', 'outcome', 'routes', 'runtime', 'verify',
                            'version_check']
    assert data['outcome'] == 'changed, still broken'  # a change made, an open error left
    assert data['host'] == 'node1' and data['runtime']['name'] == 'containerd'
    want = ['search-registries-mismatch', 'socket-world-accessible', 'search-registries-effective']
    assert [f['id'] for f in data['findings']] == want
    f = data['findings'][0]
    assert sorted(f) == ['category', 'caused_by', 'evidence', 'explanation', 'fixed', 'id', 'remediation', 'severity',
                         'title']
    assert f['category'] == 'pull' and f['caused_by'] is None


def test_summary_lines():
    lines = report.summary_lines(fleet())
    header = ['host', 'runtime', 'version', 'errors', 'warnings', 'causes', 'fixed', 'verify ok/total', 'CRI Version', 'outcome']
    assert [c.strip() for c in lines[0].split('|')] == header
    assert [c.strip() for c in lines[2].split('|')] == ['node1', 'containerd', '1.6.20', '1', '0', '1 root cause, 0 symptoms',
                                                        '1', '1/1', '-', 'changed, still broken']  # open errors only
    assert [c.strip() for c in lines[3].split('|')] == ['node2', 'containerd', '1.6.20', '0', '0', '0 root causes, 0 symptoms',
                                                        '0', '0/1', '-', 'broken']
    assert report.summary_lines([])[0].startswith('host')


def test_summary_md():
    md = report.render_summary_md(fleet())
    assert '| node1 | containerd | 1.6.20 | 1 | 0 | 1 root cause, 0 symptoms | 1 | 1/1 | - | changed, still broken |' in md
    assert '## node1' in md and '### ERROR `socket-world-accessible`' in md
    assert '/run/containerd/containerd.sock: mode=0666 uid=0 gid=0' in md
    assert 'Remediation: `kubenode.pullfix.runtime_socket`' in md
    assert 'FAILED `registry.k8s.io/pause:3.9`: rpc error' in md
    assert md.index('## node1') < md.index('## node2')


def test_junit():
    root = ET.fromstring(report.render_junit(fleet()))
    assert root.tag == 'testsuites'
    suites = {s.get('name'): s for s in root.findall('testsuite')}
    assert sorted(suites) == ['node1', 'node2']
    n1 = suites['node1']
    cases = {c.get('name'): c for c in n1.findall('testcase')}
    assert sorted(cases) == ['registry.k8s.io/pause:3.9', 'search-registries-effective',
                             'search-registries-mismatch', 'socket-world-accessible']
    assert cases['socket-world-accessible'].find('failure') is not None
    assert cases['search-registries-mismatch'].find('failure') is None  # fixed
    assert cases['registry.k8s.io/pause:3.9'].find('failure') is None
    assert n1.get('failures') == '1' and n1.get('tests') == '4'
    n2 = suites['node2']
    assert n2.get('failures') == '1'
    assert n2.find('testcase[@name="registry.k8s.io/pause:3.9"]/failure').get('message').startswith('rpc error')
    assert root.get('failures') == '2'


def test_render_all_is_deterministic_and_safe_names():
    hosts = fleet() + [{'host': '../evil/host', 'runtime': {}, 'findings': [], 'changes': [], 'verify': []}]
    a = report.render_all(hosts)
    assert a == report.render_all(list(reversed(hosts)))
    assert sorted(a) == ['.._evil_host.json'.replace('..', '_.'), 'junit.xml', 'node1.json', 'node2.json',
                         'summary.md']


def test_atomic_writer(tmp_path):
    try:
        from ansible_collections.kubenode.pullfix.plugins.action.report import write_if_changed
    except ImportError:  # ansible not importable: the pure parts are covered above
        return
    path = str(tmp_path / 'x.json')
    assert write_if_changed(path, b'a') is True
    assert write_if_changed(path, b'a') is False
    assert write_if_changed(path, b'b', check_mode=True) is True
    with open(path, 'rb') as f:
        assert f.read() == b'a'
    assert write_if_changed(path, b'b') is True
    assert sorted(os.listdir(str(tmp_path))) == ['x.json']


def test_docs_findings_has_one_section_per_id():
    import re
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import CATALOGUE
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'docs', 'findings.md')
    with open(path) as f:
        text = f.read()
    sections = re.findall(r'^### ([a-z0-9-]+)$', text, re.M)
    assert sorted(sections) == sorted(CATALOGUE)
    for fid, c in CATALOGUE.items():
        body = text.split('### %s\n' % fid, 1)[1].split('\n### ', 1)[0]
        assert '- Severity: **%s**' % c['severity'] in body
        assert '- Remediation: `%s`' % c['remediation'] in body
        assert '- Category: `%s`' % c['category'] in body, fid
        assert re.search(r'^- Applies to: \S', body, re.M), fid


def test_report_action_lists_undiagnosed_hosts():
    from ansible_collections.kubenode.pullfix.plugins.action.report import host_entry
    diagnosis = {'runtime': {'name': 'containerd'}, 'findings': []}
    hostvars = {
        'ok-node': {'pullfix_diagnosis': dict(diagnosis, verify={'results': [{'image': 'a:1', 'ok': True}]})},
        'down-node': {'pullfix_evidence': {'unreachable': True}},
        'later-node': {},
    }
    ok = host_entry('ok-node', hostvars)
    assert ok['runtime'] == {'name': 'containerd'} and ok['verify'] == [{'image': 'a:1', 'ok': True}]
    down = host_entry('down-node', hostvars)
    assert [f['id'] for f in down['findings']] == ['host-not-diagnosed']
    assert down['findings'][0]['severity'] == 'error'


def test_finding_lines_list_open_errors_and_warnings_only():
    hosts = [{'host': 'n1', 'findings': [
        {'id': 'a-error', 'severity': 'error', 'title': 'A'},
        {'id': 'b-fixed', 'severity': 'error', 'title': 'B', 'fixed': True},
        {'id': 'c-info', 'severity': 'info', 'title': 'C'},
        {'id': 'd-warn', 'severity': 'warning', 'title': 'D'}]}]
    assert report.finding_lines(hosts) == ['n1: ERROR   a-error - A', 'n1: WARNING d-warn - D']


def test_change_lines_name_every_file_with_its_backup_and_the_notes():
    from ansible_collections.kubenode.pullfix.plugins.action.report import host_entry
    hostvars = {'n1': {
        'pullfix_diagnosis': {'runtime': {'name': 'containerd'}, 'findings': []},
        'pullfix_remediation': {
            'changes': [{'path': '/etc/containerd/config.toml', 'action': 'updated',
                         'backup': '/etc/containerd/config.toml.1.pullfix~'},
                        {'path': '/etc/containerd/certs.d/docker.io/hosts.toml', 'action': 'created', 'backup': None}],
            'notes': ['containerd_registry: fallback false for docker.io']}}}
    lines = report.change_lines([host_entry('n1', hostvars)])
    assert lines == ['n1: updated /etc/containerd/config.toml (backup /etc/containerd/config.toml.1.pullfix~)',
                     'n1: created /etc/containerd/certs.d/docker.io/hosts.toml',
                     'n1: note: containerd_registry: fallback false for docker.io']
    assert report.change_lines([host_entry('n2', {'n2': hostvars['n1'] | {'pullfix_remediation': {}}})]) == []


def test_report_action_says_what_the_run_did_to_each_host():
    from ansible_collections.kubenode.pullfix.plugins.action.report import host_entry
    diagnosis = {'runtime': {'name': 'containerd'}, 'findings': [],
                 'version_check': {'endpoint': 'unix:///run/containerd/containerd.sock', 'ok': True}}
    change = {'path': '/etc/containerd/config.toml', 'action': 'updated', 'backup': '/etc/containerd/config.toml.1.pullfix~'}
    hostvars = {
        'later': {},
        'rolled': {'pullfix_diagnosis': diagnosis, 'pullfix_remediation': {'changes': [change]},
                   'pullfix_rollback': {'failed': False, 'changed': True, 'msg': 'containerd.service did not answer'}},
        'failed': {'pullfix_diagnosis': diagnosis, 'pullfix_remediation': {'failed': False, 'apply_error': 'Read-only file system'}},
        'fixed': {'pullfix_diagnosis': diagnosis, 'pullfix_remediation': {'changes': [change]},
                  'pullfix_rollback': {'skipped': True}},
    }
    entries = dict((h, report.normalize_host(host_entry(h, hostvars))) for h in hostvars)
    assert entries['later']['outcome'] == 'not reached'
    assert [f['id'] for f in entries['later']['findings']] == ['host-not-reached']
    assert entries['rolled']['outcome'] == 'rolled back'
    rolled = entries['rolled']['findings'][0]
    assert rolled['id'] == 'remediation-rolled-back' and rolled['severity'] == 'error'
    assert '/etc/containerd/config.toml restored from /etc/containerd/config.toml.1.pullfix~' in rolled['evidence']
    assert entries['failed']['outcome'] == 'apply failed'
    assert entries['failed']['findings'][0]['evidence'] == ['Read-only file system']
    assert entries['fixed']['outcome'] == 'fixed'
    assert report.normalize_host(host_entry('fixed', hostvars, check_mode=True))['outcome'] == 'would change'
    lines = report.summary_lines(list(entries.values()))
    assert [c.strip() for c in lines[2].split('|')][-2:] == ['ok', 'apply failed']
    assert [c.strip() for c in lines[3].split('|')][-2:] == ['ok', 'fixed']
    assert [c.strip() for c in lines[4].split('|')][-2:] == ['-', 'not reached']
    junit = ET.fromstring(report.render_junit(list(entries.values())))
    case = junit.find('testsuite[@name="rolled"]/testcase[@name="CRI Version unix:///run/containerd/containerd.sock"]')
    assert case is not None and case.find('failure') is None
    assert junit.find('testsuite[@name="rolled"]/testcase[@name="remediation-rolled-back"]/failure') is not None
