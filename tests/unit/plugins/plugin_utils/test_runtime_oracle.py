# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The runtime's own view (runtime_view) against the model built from the files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import os

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri, _runtime_view
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose, model, runtime
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.context import Context
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.endpoints import KUBELET_CONFIG

from pullfix_helpers import get, ids, load, set_containerd_version, with_file, without_process


def test_kubelet_config_recorded_missing_is_not_a_file():
    ev = without_process(load(), 'kubelet')
    ev['files'][KUBELET_CONFIG] = {'stat': {'type': 'missing'}, 'content': None, 'truncated': False,
                                   'error': {'kind': 'missing', 'message': 'No such file or directory'},
                                   'why': ['kubelet-config']}
    assert runtime.kubelet_config_files(Context(ev, {})) == (None, [])
    ev['files'][KUBELET_CONFIG] = {'stat': {'type': 'file'}, 'content': 'kind: KubeletConfiguration\n',
                                   'truncated': False, 'error': None, 'why': ['kubelet-config']}
    assert runtime.kubelet_config_files(Context(ev, {})) == (KUBELET_CONFIG, [])


# --- the runtime's own view, from outputs recorded on real nodes ----------------------------------

RV = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'runtime_view')
CFG = '/etc/containerd/config.toml'
RECORDED_CFG = {
    # what the recorded nodes had in config.toml (fixtures/runtime_view/README.md), less the password
    '1.6.20': 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
              '  endpoint = ["https://mirror.example.com"]\n',
    '2.1.9': 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
             '  endpoint = ["https://mirror.example.com"]\n',
}


def _read(name):
    with open(os.path.join(RV, name)) as f:
        return f.read()


def recorded_view(version, dump=True, status=True, journal=True):
    """runtime_view as the gather shapes it, from the recorded outputs of ``version``."""
    view = {'containerd_config': [], 'cri_status': None, 'journal': None, 'kubeadm_images': None}
    if dump:
        view['containerd_config'].append({
            'binary': '/usr/bin/containerd', 'argv': ['/usr/bin/containerd', 'config', 'dump'], 'from': 'process 74',
            'rc': 0, 'output': _read('containerd-%s-config-dump.toml' % version), 'truncated': False,
            'stderr': _read('containerd-%s-config-dump.stderr' % version).splitlines(), 'error': None})
    if status:
        st = _cri.decode_status_response(base64.b64decode(_read('containerd-%s-status-verbose.b64' % version)))
        info, cut = _runtime_view.shape_info(st['info'])
        view['cri_status'] = {'endpoint': 'unix:///run/containerd/containerd.sock', 'chosen_by': 'test',
                              'conditions': st['conditions'], 'info': info, 'info_cut': cut,
                              'runtime_handlers': st['runtime_handlers'], 'features': st['features'], 'error': None}
    if journal:
        lines, matched = _runtime_view.journal_lines(_read('containerd-%s-journal.txt' % version))
        view['journal'] = {'unit': 'containerd.service', 'invocation_id': 'x', 'pid': 74, 'argv': [],
                           'lines': lines, 'matched': matched, 'truncated': False, 'rc': 0, 'error': None}
    return view


def node(version, view, cfg=None):
    ev = set_containerd_version(load(), version)
    with_file(ev, CFG, RECORDED_CFG[version] if cfg is None else cfg, 'containerd-config')
    ev['runtime_view'] = view
    return ev


def models_of(ev, settings=None):
    return model.build(Context(ev, settings or {}))


def test_recorded_views_read():
    m16 = models_of(node('1.6.20', recorded_view('1.6.20')))
    v = m16.runtime_view
    assert (v.config_path, v.sandbox, v.cri_loaded, v.pull_path) == ('', 'registry.k8s.io/pause:3.6', True, None)
    assert v.sandbox_source.startswith('containerd config dump (/usr/bin/containerd)')
    m21 = models_of(node('2.1.9', recorded_view('2.1.9')))
    v = m21.runtime_view
    assert (v.config_path, v.sandbox, v.cri_loaded) == ('', 'registry.k8s.io/pause:3.10', True)
    # the deprecated mirrors table sends 2.1.9 to the local pull path, and its log says so
    assert v.pull_path == 'local' and 'Falling back to local image pull mode' in v.pull_path_source
    assert m21.pull_path[0] == 'local'


@pytest.mark.parametrize('version', ['1.6.20', '2.1.9'])
def test_recorded_views_agree_with_the_model(version):
    ev = node(version, recorded_view(version))
    assert models_of(ev).disagreements == []
    assert 'runtime-model-disagrees' not in ids(diagnose(ev))


def test_log_outranks_the_predicted_pull_path():
    # the files alone predict the transfer service on 2.1.9; containerd's log says it fell back
    ev = node('2.1.9', recorded_view('2.1.9'), cfg='version = 3\n')
    m = models_of(ev)
    assert m.pull_path[0] == 'local'
    assert [d['what'] for d in m.disagreements] == ['pull path']
    f = get(diagnose(ev), 'runtime-model-disagrees')
    assert f['severity'] == 'warning' and f['category'] == 'hygiene'
    assert any('pull path: model transfer, containerd local (used: containerd\'s)' in e for e in f['evidence'])


def test_transfer_path_from_a_log_without_the_fallback_line():
    view = recorded_view('2.1.9')
    view['journal']['lines'] = [line for line in view['journal']['lines'] if 'Falling back' not in line]
    ev = node('2.1.9', view)   # the mirrors table predicts the local path
    m = models_of(ev)
    assert m.pull_path[0] == 'transfer' and m.disagreements[0]['model'] == 'local'


def test_use_local_image_pull_is_the_local_path_although_nothing_is_logged():
    # containerd 2.1.9 with use_local_image_pull = true logs no fallback line (seen on the real binary:
    # molecule/facts); the EKS colon list is then split and no config_path error may be drawn.
    view = recorded_view('2.1.9')
    view['journal']['lines'] = [line for line in view['journal']['lines'] if 'Falling back' not in line]
    dump = view['containerd_config'][0]['output']
    view['containerd_config'][0]['output'] = dump.replace('use_local_image_pull = false', 'use_local_image_pull = true', 1)
    assert view['containerd_config'][0]['output'] != dump
    cfg = ('version = 3\n[plugins."io.containerd.cri.v1.images"]\n  use_local_image_pull = true\n'
           '[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"\n')
    ev = node('2.1.9', view, cfg=cfg)
    m = models_of(ev)
    assert m.runtime_view.pull_path == 'local' and 'use_local_image_pull = true' in m.runtime_view.pull_path_source
    assert not [x for x in m.disagreements if x['what'] == 'pull path']
    assert 'containerd-config-path-list' not in [f['id'] for f in diagnose(ev)['findings']]


def test_no_dump_the_silent_log_decides_nothing():
    view = recorded_view('2.1.9', dump=False)
    view['journal']['lines'] = [line for line in view['journal']['lines'] if 'Falling back' not in line]
    assert models_of(node('2.1.9', view)).runtime_view.pull_path is None


def test_dump_sandbox_outranks_the_file():
    ev = node('2.1.9', recorded_view('2.1.9'),
              cfg='version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "example.com/pause:1"\n')
    m = models_of(ev)
    assert m.containerd.sandbox == 'registry.k8s.io/pause:3.10'
    d = [x for x in m.disagreements if x['what'] == 'sandbox image'][0]
    assert (d['model'], d['runtime']) == ('example.com/pause:1', 'registry.k8s.io/pause:3.10')
    f = get(diagnose(ev), 'runtime-model-disagrees')
    assert any('sandbox image: model example.com/pause:1, containerd registry.k8s.io/pause:3.10' in e
               for e in f['evidence'])


def test_dump_config_path_outranks_the_file_and_roots_follow():
    view = recorded_view('1.6.20')
    view['containerd_config'][0]['output'] = view['containerd_config'][0]['output'].replace(
        'config_path = ""', 'config_path = "/etc/containerd/certs.d"')
    ev = node('1.6.20', view, cfg='version = 2\n')
    m = models_of(ev)
    assert m.certs_roots == ['/etc/containerd/certs.d']
    assert [d['what'] for d in m.disagreements] == ['config_path']
    assert 'containerd-config-path-unset' not in ids(diagnose(ev))


def test_cri_plugin_load_disagreement_is_compared_only():
    # the files disable the CRI plugin, yet CRI Status answered: a warning, never an error of its own
    ev = node('1.6.20', recorded_view('1.6.20', dump=False),
              cfg='version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n')
    f = get(diagnose(ev), 'runtime-model-disagrees')
    assert f['severity'] == 'warning'
    assert any(e.startswith('CRI plugin loads: model no (containerd-cri-disabled), containerd yes (compared only')
               for e in f['evidence'])


def _broken_dump(version):
    stderr = _read('containerd-%s-config-dump-broken.stderr' % version).splitlines()
    return {'binary': '/usr/bin/containerd', 'argv': ['/usr/bin/containerd', 'config', 'dump'], 'rc': 1, 'output': '',
            'truncated': False, 'stderr': stderr,
            'error': {'kind': 'exit_status', 'message': stderr[-1]}}


@pytest.mark.parametrize('version', ['1.6.20', '2.1.9'])
def test_config_the_binary_refuses_is_an_error_while_the_old_process_runs(version):
    view = recorded_view(version)
    view['containerd_config'] = [_broken_dump(version)]
    ev = node(version, view)   # the files as the model reads them are fine: only the binary knows
    f = get(diagnose(ev), 'containerd-config-rejected')
    assert f['severity'] == 'error'
    assert f['evidence'][0] == '/usr/bin/containerd config dump: exit status 1'
    assert 'containerd: failed to' in ' '.join(f['evidence'])


def test_refused_dump_is_not_reported_twice_when_the_model_found_the_fault():
    view = recorded_view('2.1.9')
    view['containerd_config'] = [_broken_dump('2.1.9')]
    result = diagnose(node('2.1.9', view, cfg='version = 2\n[plugins\n'))
    assert 'containerd-config-unparsable' in ids(result)
    assert 'containerd-config-rejected' not in ids(result)


def test_runtime_down_is_diagnosed_from_the_model():
    # containerd does not run: the dump failed to start nothing, CRI Status has no socket, no journal
    view = {'containerd_config': [], 'kubeadm_images': None,
            'cri_status': {'endpoint': 'unix:///run/containerd/containerd.sock', 'error': {'kind': 'refused', 'message': 'x'}},
            'journal': {'error': {'kind': 'not_systemd_unit', 'message': 'x'}, 'lines': []}}
    ev = node('2.1.9', view, cfg='version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = ""\n')
    m = models_of(ev)
    v = m.runtime_view
    assert v.present and (v.config_path, v.sandbox, v.pull_path, v.cri_loaded) == (None, None, None, None)
    assert m.pull_path[0] == 'transfer' and m.disagreements == []
    result = diagnose(ev, {'registry_mirrors': {'docker.io': {'endpoints': ['https://m.example.com']}}})
    assert 'containerd-config-path-unset' in ids(result)
    assert 'runtime-model-disagrees' not in ids(result)


def test_dump_failing_for_another_reason_is_not_a_rejected_config():
    view = recorded_view('2.1.9')
    broken = _broken_dump('2.1.9')
    broken['stderr'] = ['exec format error']
    broken['error']['message'] = 'exec format error'
    view['containerd_config'] = [broken]
    assert 'containerd-config-rejected' not in ids(diagnose(node('2.1.9', view)))


def test_console_summary_counts_the_self_check():
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import report
    ev = node('2.1.9', recorded_view('2.1.9'), cfg='version = 3\n')
    bad = dict(diagnose(ev), host='node1')
    good = dict(diagnose(node('2.1.9', recorded_view('2.1.9'))), host='node2')
    lines = report.console_lines([bad, good], judge=False)
    hit = [line for line in lines if line.startswith('Self-check:')]
    assert hit == ["Self-check: on 1 host the model of containerd's files disagreed with containerd itself "
                   "(runtime-model-disagrees; containerd's word was used): node1"]
    assert not any(line.startswith('Self-check:') for line in report.console_lines([good], judge=False))
