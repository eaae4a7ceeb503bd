# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pull-path findings (checks/pulls): what they say beyond their positive and near-miss cases."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from pullfix_helpers import get, ids, load, run, set_containerd_version, with_file, with_process

CFG = '/etc/containerd/config.toml'


def _explain(f):
    return ' '.join(f['explanation']) if isinstance(f['explanation'], list) else f['explanation']


def test_spegel_finding_says_turning_discard_off_switches_the_pull_path():
    ev = load()
    set_containerd_version(ev, '2.1.9')
    with_file(ev, CFG, 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = true\n', 'containerd-config')
    with_process(ev, 'spegel', ['/app/spegel'], pid=2001)
    f = get(run(ev), 'containerd-discards-layers-for-spegel')
    assert 'from the local pull path to the transfer one' in _explain(f)
    assert any(e.startswith(CFG + ':3') for e in f['evidence'])


def test_discard_without_spegel_is_not_reported():
    ev = load()
    set_containerd_version(ev, '2.1.9')
    with_file(ev, CFG, 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = true\n', 'containerd-config')
    assert 'containerd-discards-layers-for-spegel' not in ids(run(ev))


def test_spegel_named_as_a_socket_consumer_counts():
    ev = load()
    set_containerd_version(ev, '1.7.24')
    with_file(ev, CFG, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  discard_unpacked_layers = true\n',
              'containerd-config')
    f = get(run(ev, {'socket_consumers': ['spegel.service']}), 'containerd-discards-layers-for-spegel')
    assert 'pull path' not in _explain(f)  # 1.7 has one pull path
