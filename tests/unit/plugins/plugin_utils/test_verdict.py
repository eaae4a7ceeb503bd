# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What fails a host after the report (pullfix_fail_on), and the next step shown per open error."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import CATALOGUE
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import console_lines, next_step, normalize_host
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.verdict import check_fail_on, fail_message, verdict


def finding(fid, fixed=False, **kw):
    c = CATALOGUE[fid]
    return dict({'id': fid, 'severity': c['severity'], 'title': c['title'], 'evidence': ['/etc/x:1 y'], 'explanation': '',
                 'remediation': c['remediation'], 'fixed': fixed, 'category': c['category'], 'caused_by': None}, **kw)


PULLED = ({'image': 'docker.io/library/a:1', 'ok': True, 'pulled': True, 'image_ref': 'sha256:1'},)


def host(findings, verify=PULLED, **kw):
    return normalize_host(dict({'host': 'n1', 'runtime': {'name': 'containerd'}, 'findings': findings,
                                'verify': list(verify)}, **kw))


def canary():
    # 0.4.0's stopped rollout: eight findings fixed and the pulls proven, two left for a person
    fixed = ['containerd-mirrors-with-config-path', 'cri-endpoint-no-cri-service', 'socket-world-accessible',
             'containerd-config-path-unset', 'multiple-cri-endpoints', 'search-registries-mismatch',
             'shim-cri-socket-missing', 'kubeadm-image-repository-not-local']
    left = [finding('kubelet-config-unparsable'), finding('containerd-import-missing')]
    return host([finding(f, fixed=True) for f in fixed] + left)


RAN = ['containerd_registry', 'cri_shim', 'node_runtime', 'registries_conf', 'runtime_socket']


def test_a_canary_with_only_manual_errors_left_does_not_stop_the_rollout():
    assert verdict(canary(), RAN) == (False, [])
    assert verdict(canary(), RAN, 'responsible') == (False, [])


def test_fail_on_error_fails_for_every_open_error():
    fail, reasons = verdict(canary(), RAN, 'error')
    assert fail and reasons == ['open errors (pullfix_fail_on: error): containerd-import-missing, kubelet-config-unparsable']


def test_fail_on_never_never_fails():
    rolled = host([finding('remediation-rolled-back', evidence=['containerd.service did not answer. Restored.'])])
    assert verdict(rolled, RAN, 'never') == (False, [])


def test_an_error_its_remediation_should_have_fixed_fails():
    # containerd_registry ran and rewrote the file the finding cites: the finding is still there
    change = [{'path': '/etc/containerd/config.toml', 'action': 'updated', 'backup': '/b'}]
    h = host([finding('containerd-config-path-unset', evidence=['/etc/containerd/config.toml:3 [plugins]']),
              finding('kubelet-config-unparsable')], changes=change)
    assert verdict(h, ['containerd_registry']) == (
        True, ['still open after its remediation changed the file: containerd-config-path-unset'])


def test_a_file_the_remediation_leaves_alone_is_not_its_fault():
    # containerd_registry ran for docker.io; quay.io's broken hosts.toml was nobody's declared
    # registry, and a k3s registries.yaml is not containerd's: both are reported, not failed
    change = [{'path': '/etc/containerd/certs.d/docker.io/hosts.toml', 'action': 'created', 'backup': None}]
    h = host([finding('hosts-toml-unparsable', evidence=['/etc/containerd/certs.d/quay.io/hosts.toml:4 x']),
              finding('k3s-wildcard-mirror-broken', evidence=['/etc/rancher/k3s/registries.yaml:2 "*":'])], changes=change)
    assert verdict(h, ['containerd_registry']) == (False, [])


def test_a_remediation_not_selected_is_not_this_runs_fault():
    # --tags runtime_socket: containerd_registry did not run, its error is only reported
    h = host([finding('containerd-config-path-unset')])
    assert verdict(h, ['runtime_socket']) == (False, [])
    assert verdict(h, []) == (False, [])


def test_a_failed_verification_pull_fails():
    h = host([], verify=[{'image': 'quay.io/x:1', 'ok': False, 'error': 'unexpected status 401 Unauthorized',
                          'error_kind': 'unauthorized'}])
    assert verdict(h, []) == (True, ['verification pull failed: quay.io/x:1 (unauthorized)'])


@pytest.mark.parametrize('fid,says', [
    ('remediation-rolled-back', 'Rolled back: containerd.service did not answer CRI Version within 60 s'),
    ('remediation-failed', 'applying the changes failed: containerd.service did not answer CRI Version within 60 s'),
    ('remediation-refused', 'Nothing was written, a remediation refused: containerd.service'),
])
def test_a_change_that_failed_fails_and_says_so_once(fid, says):
    h = host([finding(fid, evidence=['containerd.service did not answer CRI Version within 60 s. The files were restored.']),
              finding('containerd-config-path-unset')])
    fail, reasons = verdict(h, ['containerd_registry'])
    assert fail and len(reasons) == 1 and reasons[0].startswith(says)


def test_check_mode_judges_only_what_the_dry_run_found():
    # nothing was meant to be fixed and nothing pulled: an open error a role would fix, or an
    # image that is absent, is not a failure of a dry run; a refusal is
    h = host([finding('containerd-config-path-unset')],
             verify=[{'image': 'a:1', 'ok': False, 'error': 'connection refused', 'error_kind': 'refused'}])
    assert verdict(h, ['containerd_registry'], check_mode=True) == (False, [])
    refused = host([finding('remediation-refused', evidence=['pullfix_registry_mirrors: bad'])])
    assert verdict(refused, ['containerd_registry'], check_mode=True)[0]
    assert verdict(h, ['containerd_registry'], 'error', check_mode=True) == (
        True, ['open error (pullfix_fail_on: error): containerd-config-path-unset'])


def test_the_doctor_has_no_remediation_to_blame():
    h = host([finding('containerd-config-path-unset')], verify=[])
    assert verdict(h, None) == (False, [])


def test_bad_fail_on_is_named():
    with pytest.raises(ValueError, match="pullfix_fail_on: expected one of responsible, error, never, got 'sometimes'"):
        check_fail_on('sometimes')
    assert check_fail_on(None) == 'responsible'


def test_fail_message_is_one_line_saying_what_and_where():
    h = host([finding('remediation-rolled-back', evidence=['containerd.service did not answer. Restored.'])])
    msg = fail_message('n1', h, ['containerd_registry'], 'responsible', False, '/r/summary.md')
    assert msg == ('n1: its change was rolled back. Why and what next: "Failing" and "Open errors" in the summary above; '
                   'full report: /r/summary.md')


def test_next_step():
    assert next_step(finding('kubelet-config-unparsable', next_step='fix line 3 of /var/lib/kubelet/config.yaml')) == \
        'fix line 3 of /var/lib/kubelet/config.yaml'
    manual = next_step(finding('kubelet-config-unparsable', explanation='kubelet cannot start. More text.'), [])
    assert manual == ('left for a person because no remediation of the collection covers it: kubelet cannot start '
                      '(docs/findings.md#kubelet-config-unparsable)')
    f = finding('containerd-config-path-unset')
    assert next_step(f, None).startswith('run ansible-playbook kubenode.pullfix.fix_pull: kubenode.pullfix.containerd_registry')
    assert next_step(f, ['runtime_socket']) == ('this run did not select kubenode.pullfix.containerd_registry '
                                                '(--tags/--skip-tags): run fix_pull with --tags containerd_registry')
    assert next_step(f, ['containerd_registry'], ['containerd_registry: set pullfix_registry_mirrors for quay.io']) == \
        'kubenode.pullfix.containerd_registry ran and left it open: set pullfix_registry_mirrors for quay.io'


def test_console_in_check_mode_says_present_not_ok():
    entry = {'host': 'n1', 'runtime': {'name': 'containerd'}, 'remediations': ['containerd_registry'],
             'findings': [finding('containerd-config-path-unset')],
             'changes': [{'path': '/etc/containerd/config.toml', 'action': 'updated', 'backup': None}],
             'verify': [{'image': 'a:1', 'ok': True, 'pulled': False, 'present_before': True},
                        {'image': 'b:1', 'ok': True, 'pulled': False, 'present_before': False}]}
    lines = console_lines([entry], '/r', check_mode=True)
    assert 'not pulled (1/2 present)' in lines[2]
    assert 'Would change (check mode) (backups to restore from in parentheses):' in lines
    assert 'No host fails (pullfix_fail_on: responsible).' in lines
    doctor = console_lines([entry], '/r', judge=False)
    assert not [line for line in doctor if 'fails' in line or 'Failing' in line]


def test_next_step_says_whether_the_run_touched_the_file():
    f = finding('k3s-wildcard-mirror-broken', evidence=['/etc/rancher/k3s/registries.yaml:2 "*":'],
                explanation='k3s v1.32.2+k3s1 never falls back. More.')
    assert next_step(f, ['containerd_registry'], [], ['/etc/containerd/config.toml']) == (
        'left for a person: kubenode.pullfix.containerd_registry ran and leaves /etc/rancher/k3s/registries.yaml as it '
        'is: k3s v1.32.2+k3s1 never falls back (docs/findings.md#k3s-wildcard-mirror-broken)')
    g = finding('containerd-config-path-unset', evidence=['/etc/containerd/config.toml:3 [plugins]'])
    assert next_step(g, ['containerd_registry'], [], ['/etc/containerd/config.toml']).startswith(
        'kubenode.pullfix.containerd_registry changed /etc/containerd/config.toml and it is still wrong')
    assert next_step(g, ['containerd_registry'], [], ['/etc/containerd/config.toml'], undone=True).startswith(
        "this run's change for it did not take effect")
