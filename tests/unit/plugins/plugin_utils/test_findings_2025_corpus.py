# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The 2025-26 findings on the real files of the corpus (SOURCES.md): valid files are near misses."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

import pullfix_helpers as h
from test_pullfix_diagnose import crio

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.kubelet import credential_provider as cp

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus')


def corpus(*parts):
    with open(os.path.join(CORPUS, *parts)) as handle:
        return handle.read()


def _ids(result):
    return set(f['id'] for f in result['findings'])


@pytest.mark.parametrize('name', ['eks-nodeadm-ecr-1.31.json', 'eks-al2-ecr-credential-provider-config.json'])
def test_eks_credential_provider_configs_are_accepted(name):
    ev = h.load()
    cp._setup(ev, h, config=corpus('credential-provider', name))
    result = h.run(ev, {'verify_images': [cp.ECR]})
    assert not [i for i in _ids(result) if i.startswith('kubelet-credential-provider')]


def test_eks_config_with_a_musl_plugin_breaks_the_ecr_pull():
    ev = h.load()
    cp._setup(ev, h, config=corpus('credential-provider', 'eks-nodeadm-ecr-1.31.json'), plugin='/lib/ld-musl-x86_64.so.1',
              exists=False)
    f = h.get(h.run(ev, {'verify_images': [cp.ECR]}), 'kubelet-credential-provider-plugin-broken')
    assert '/lib/ld-musl-x86_64.so.1' in f['evidence'][0] and f['evidence'][1] == 'matches ' + cp.ECR


def test_credential_provider_directory_is_read_in_order():
    ev = h.load()
    cp._setup(ev, h, flags='--image-credential-provider-config=/etc/kubernetes/cp.d '
                           '--image-credential-provider-bin-dir=%s' % cp.BIN_DIR)
    h.with_dir(ev, '/etc/kubernetes/cp.d', [{'name': '10-ecr.json', 'type': 'file'}, {'name': 'README', 'type': 'file'}],
               'credential-provider')
    h.with_file(ev, '/etc/kubernetes/cp.d/10-ecr.json', cp.PROVIDER.replace('"kind"', '"knd"'), 'credential-provider')
    f = h.get(h.run(ev), 'kubelet-credential-provider-rejected')
    assert any(line.startswith('/etc/kubernetes/cp.d/10-ecr.json:3') and 'unknown field "knd"' in line for line in f['evidence'])


@pytest.mark.parametrize('name', ['containers-image-default-policy.json', 'containers-image-fixture-policy.json',
                                  'crio-test-policy.json'])
def test_corpus_policies_are_accepted_by_a_current_crio(name):
    ev = h.load()
    crio(ev, '1.34.1')
    h.with_error(ev, '/root/.config/containers/policy.json', 'missing', 'signature-policy')
    h.with_file(ev, '/etc/containers/policy.json', corpus('policy-json', name), 'signature-policy')
    assert not _ids(h.run(ev)) & {'crio-signature-policy-rejected', 'crio-signature-policy-missing'}


def test_root_policy_shadows_the_system_one():
    ev = h.load()
    crio(ev, '1.34.1')
    h.with_file(ev, '/root/.config/containers/policy.json', '{"default": [{"type": "accept"}]}', 'signature-policy')
    h.with_file(ev, '/etc/containers/policy.json', corpus('policy-json', 'containers-image-default-policy.json'),
                'signature-policy')
    f = h.get(h.run(ev), 'crio-signature-policy-rejected')
    assert f['evidence'][0].startswith('/root/.config/containers/policy.json:1')


def test_old_evidence_without_the_policy_step_says_nothing():
    ev = h.load()
    crio(ev, '1.34.1')
    assert not [i for i in _ids(h.run(ev)) if i.startswith('crio-signature-policy')]


def test_crio_conf_corpus_drop_in_keeps_the_version_default():
    ev = h.load()
    crio(ev, '1.32.3')
    h.with_file(ev, '/etc/crio/crio.conf.d/50-runc.conf', corpus('crio-conf', 'crio-test-50-runc.conf'), 'crio-config')
    f = h.get(h.run(ev), 'crio-pull-progress-timeout-short')
    assert f['evidence'] == ['CRI-O 1.32.3: pull_progress_timeout 10s (default of CRI-O 1.32.3)']
