# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The services a planned change needs to take effect: one table for every restart key.

A change's ``restart`` names keys of this table. For each key: the systemd units it names,
what is done to them once the files are written (``restart``, ``reload`` or the manager's own
``daemon-reload``), whether only the units running now are touched, and the CRI socket to wait
for afterwards (``wait``: a socket path; ``containerd``: the address containerd's own config
gives it; None: kubelet's runtime endpoint). A key of the form ``reload:<unit>`` asks for a
reload of that unit; any other key not in the table restarts ``<key>.service``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .endpoints import DEFAULT_ENDPOINTS
from .k3s import SERVICES as K3S_SERVICES

RESTART = 'restart'
RELOAD = 'reload'
DAEMON_RELOAD = 'daemon-reload'
# The prefix of a key that asks for a reload: 'reload:crio' -> systemctl reload crio.service.
RELOAD_PREFIX = 'reload:'
# The key of systemd's own daemon-reload (a unit file or drop-in changed).
SYSTEMD = 'systemd'
# Where systemd reads unit files and drop-ins: a change under one of them needs a daemon-reload.
UNIT_DIRS = ('/etc/systemd/system/', '/run/systemd/system/', '/usr/lib/systemd/system/', '/lib/systemd/system/')

SERVICES = {
    SYSTEMD: {'units': (), 'action': DAEMON_RELOAD, 'active_only': False, 'wait': None},
    'containerd': {'units': ('containerd.service',), 'action': RESTART, 'active_only': False, 'wait': 'containerd'},
    # k3s and RKE2 run as server or agent: only the unit running on this node is restarted.
    'k3s': {'units': K3S_SERVICES['k3s'], 'action': RESTART, 'active_only': True, 'wait': DEFAULT_ENDPOINTS['k3s']},
    'rke2': {'units': K3S_SERVICES['rke2'], 'action': RESTART, 'active_only': True, 'wait': DEFAULT_ENDPOINTS['rke2']},
    'crio': {'units': ('crio.service',), 'action': RESTART, 'active_only': False, 'wait': None},
    'docker': {'units': ('docker.service',), 'action': RESTART, 'active_only': False, 'wait': None},
    'kubelet': {'units': ('kubelet.service',), 'action': RESTART, 'active_only': False, 'wait': None},
    'image-cri-shim': {'units': ('image-cri-shim.service',), 'action': RESTART, 'active_only': False, 'wait': None},
}


def unit_of(name):
    """A unit name from a key's remainder ('crio' -> 'crio.service'; 'x.socket' stays)."""
    return name if '.' in name else name + '.service'


def service(key):
    """The table entry of a restart key (a reload key or an unknown key gets the entry it implies)."""
    if key in SERVICES:
        return SERVICES[key]
    if key.startswith(RELOAD_PREFIX):
        return {'units': (unit_of(key[len(RELOAD_PREFIX):]),), 'action': RELOAD, 'active_only': True, 'wait': None}
    return {'units': (unit_of(key),), 'action': RESTART, 'active_only': False, 'wait': None}


def restart_key(unit):
    """The restart key that restarts ``unit`` ('k3s-agent.service' -> 'k3s', 'foo.service' -> 'foo')."""
    for key, entry in SERVICES.items():
        if entry['action'] == RESTART and unit in entry['units']:
            return key
    return unit[:-len('.service')] if unit.endswith('.service') else unit
