# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""apply_changes: what it asks of systemd after the files, in which order, and never in check mode."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.kubenode.pullfix.plugins.modules.apply_changes import services


class FakeModule(object):
    def __init__(self, check_mode=False, systemctl='/usr/bin/systemctl', failing=(), **params):
        self.params = dict(daemon_reload=False, restart_units=[], reload_units=[])
        self.params.update(params)
        self.check_mode = check_mode
        self.systemctl = systemctl
        self.failing = failing
        self.calls = []

    def get_bin_path(self, name):
        return self.systemctl if name == 'systemctl' else None

    def run_command(self, argv):
        self.calls.append(argv)
        if argv[-1] in self.failing:
            return 1, '', 'Job for %s failed.\n' % argv[-1]
        return 0, '', ''


def test_daemon_reload_then_restarts_then_reloads():
    m = FakeModule(daemon_reload=True, restart_units=['containerd.service', 'kubelet.service'],
                   reload_units=['crio.service'])
    done = services(m)
    assert m.calls == [['/usr/bin/systemctl', 'daemon-reload'],
                       ['/usr/bin/systemctl', 'restart', 'containerd.service'],
                       ['/usr/bin/systemctl', 'restart', 'kubelet.service'],
                       ['/usr/bin/systemctl', 'reload', 'crio.service']]
    assert [d['rc'] for d in done] == [0, 0, 0, 0]


def test_a_failed_restart_is_reported_and_the_rest_still_runs():
    m = FakeModule(restart_units=['containerd.service', 'kubelet.service'], failing=('containerd.service',))
    done = services(m)
    assert done[0] == {'action': 'restart containerd.service', 'rc': 1, 'stderr': 'Job for containerd.service failed.'}
    assert done[1]['rc'] == 0


def test_nothing_in_check_mode_or_when_nothing_is_asked():
    m = FakeModule(check_mode=True, restart_units=['containerd.service'])
    assert services(m) is None and m.calls == []
    assert services(FakeModule()) is None


def test_no_systemctl_is_said_not_raised():
    m = FakeModule(systemctl=None, restart_units=['containerd.service'])
    assert services(m) == [{'action': 'systemctl', 'rc': None, 'stderr': 'systemctl not found'}]


def test_commands_run_in_order_and_stop_at_the_first_failure():
    from ansible_collections.kubenode.pullfix.plugins.modules.apply_changes import run_commands
    m = FakeModule(commands=[{'argv': ['chmod', '0660', '/run/x.sock'], 'reason': 'mode 0666'},
                             {'argv': ['chgrp', '1001', 'bad'], 'reason': 'group'},
                             {'argv': ['true'], 'reason': 'never reached'}], failing=('bad',))
    done, failed = run_commands(m)
    assert m.calls == [['chmod', '0660', '/run/x.sock'], ['chgrp', '1001', 'bad']]
    assert failed is done[1] and failed['rc'] == 1
    m = FakeModule(check_mode=True, commands=[{'argv': ['chmod', '0660', '/run/x.sock']}])
    done, failed = run_commands(m)
    assert m.calls == [] and failed is None and done[0]['ran'] is False
