# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the node's services need once the changes are written: restarts, reloads, the wait after.

Pure decisions over the restart keys of the applied changes and the evidence (plain data), from
the one table in ``facts.services``; the handlers carry them out.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ..evidence import Evidence, endpoint_path
from ..facts import containerd as containerd_facts
from ..diagnose.runtime import classify_socket
from ..facts.endpoints import SHIM_SOCKET
from ..facts.services import DAEMON_RELOAD, RELOAD, RESTART, SYSTEMD, UNIT_DIRS, service
from ....module_utils._apply import PENDING_RESTART, parse_pending


def _active(evidence, unit):
    return (((evidence.get('systemd') or {}).get('units') or {}).get(unit) or {}).get('ActiveState') == 'active'


def restart_units(restart, evidence):
    """systemd units to restart for the restart keys of the changed files (reloads and the
    daemon-reload are not restarts; see reload_units)."""
    units = []
    for key in restart:
        entry = service(key)
        if entry['action'] != RESTART:
            continue
        units.extend(u for u in entry['units'] if not entry['active_only'] or _active(evidence, u))
    return units


def reload_units(restart, evidence):
    """Units asked to re-read their configuration, only those running and not restarted anyway;
    a unit that is not active reads its files when it starts."""
    restarted = set(restart_units(restart, evidence))
    units = []
    for key in restart:
        entry = service(key)
        if entry['action'] != RELOAD:
            continue
        units.extend(u for u in entry['units'] if u not in restarted and u not in units and _active(evidence, u))
    return units


def owed_restarts(evidence):
    """Restart keys an earlier run recorded before renaming its files and never cleared: it was
    stopped between writing and restarting, so the runtime still runs on the files from before."""
    entry = ((evidence.get('files') or {}).get(PENDING_RESTART)) or {}
    content = entry.get('content')
    if entry.get('error') or not isinstance(content, str):
        return []
    keys = parse_pending(content)
    # Only what would restart or reload something (a record for a unit no longer active is moot).
    if restart_units(keys, evidence) or reload_units(keys, evidence) or SYSTEMD in keys:
        return keys
    return []


def _live_runtime_sockets(ev):
    """Runtime sockets that exist and answer the CRI Version call."""
    return [p for p in sorted(ev.sockets) if classify_socket(p) and ev.socket_is_present(p)
            and ((ev.sockets[p] or {}).get('runtime_probe') or {}).get('ok')]


def wait_endpoint(restart, ev, runtime):
    """The socket of the service restarted, to wait for: the runtime's own, never a proxy in front of it."""
    ev = ev if isinstance(ev, Evidence) else Evidence(ev)
    for key in restart:
        wait = service(key)['wait']
        if wait == 'containerd':
            return 'unix://' + containerd_facts.socket_of(ev)
    for key in restart:
        wait = service(key)['wait']
        if wait:
            return 'unix://' + wait
    endpoint = (runtime or {}).get('endpoint')
    # An image-only proxy (image-cri-shim as kubelet's runtime endpoint) never answers Version,
    # and may not even be up yet: wait for the runtime behind it.
    path = endpoint_path(endpoint)
    probe = ((ev.socket(path) or {}).get('runtime_probe') or {}) if path else {}
    if path and (probe.get('outcome') == 'unimplemented' or path.replace('/var/run/', '/run/') ==
                 SHIM_SOCKET.replace('/var/run/', '/run/')):
        live = _live_runtime_sockets(ev)
        if live:
            return 'unix://' + live[0]
    return endpoint


def after_apply(restart, changes, evidence, runtime):
    """The handlers' work for the restart keys ``restart`` and the applied ``changes``:
    {restart (keys, with 'systemd' when a unit file or drop-in changed), restart_units,
    reload_units, wait_endpoint}."""
    restart = list(restart or [])
    if any(str(c.get('path') or '').startswith(UNIT_DIRS) for c in changes or ()) and SYSTEMD not in restart:
        restart.append(SYSTEMD)
    return {'restart': restart, 'restart_units': restart_units(restart, evidence),
            'reload_units': reload_units(restart, evidence),
            'wait_endpoint': wait_endpoint(restart, Evidence(evidence), runtime)}


__all__ = ['DAEMON_RELOAD', 'after_apply', 'owed_restarts', 'reload_units', 'restart_units', 'wait_endpoint']
