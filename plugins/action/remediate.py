# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin kubenode.pullfix.remediate: plan every wanted role on the controller, apply in one node call."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kubenode.pullfix.plugins.module_utils._apply import PENDING_RESTART, parse_pending
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.kubelet import live_runtime_sockets
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence, endpoint_path, redact_url
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import containerd as containerd_facts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.endpoints import DEFAULT_ENDPOINTS, SHIM_SOCKET
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts.k3s import SERVICES
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.parse import MissingLibrary
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError, merge_changes
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import plan_roles, wanted
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.settings import plain, plain_settings

ARGUMENT_SPEC = {
    'roles': {'type': 'list', 'elements': 'str', 'default': ['auto']},
    'evidence': {'type': 'dict', 'required': True},
    'diagnosis': {'type': 'dict', 'required': True},
    'settings': {'type': 'dict', 'default': {}},
    # false: a refusal (invalid settings, a file in the way) is returned in `errors` and the
    # host carries on to its report; the play decides when to fail it.
    'fail_on_errors': {'type': 'bool', 'default': True},
    # Roles this run may plan (fix_pull.yml passes the selected tags); null: every role.
    'only': {'type': 'list', 'elements': 'str'},
}
APPLY_MODULE = 'kubenode.pullfix.apply_changes'
# The fields a change carries to the node; the report and the play output get all but content.
SHOWN = ('path', 'action', 'reason', 'role', 'restart', 'mode')
# A restart key that asks for a reload instead: 'reload:crio' -> systemctl reload crio.service.
RELOAD = 'reload:'


UNIT_DIRS = ('/etc/systemd/system/', '/run/systemd/system/', '/usr/lib/systemd/system/', '/lib/systemd/system/')


def restart_units(restart, evidence):
    """systemd units to restart for the restart keys of the changed files.

    Keys of the form ``reload:<unit>`` and ``systemd`` (daemon-reload) are not restarts;
    see reload_units.
    """
    units = []
    known = ((evidence.get('systemd') or {}).get('units') or {})
    for key in restart:
        if key == 'systemd' or key.startswith(RELOAD):
            continue
        if key in SERVICES:
            units.extend(u for u in SERVICES[key] if (known.get(u) or {}).get('ActiveState') == 'active')
        else:
            units.append(key + '.service')
    return units


def reload_units(restart, evidence):
    """Units asked to re-read their configuration (``reload:<unit>``), only those running and not
    restarted anyway; a unit that is not active reads its files when it starts."""
    known = ((evidence.get('systemd') or {}).get('units') or {})
    restarted = set(restart_units(restart, evidence))
    units = []
    for key in restart:
        if not key.startswith(RELOAD):
            continue
        unit = key[len(RELOAD):]
        unit = unit if '.' in unit else unit + '.service'
        if unit not in restarted and unit not in units and (known.get(unit) or {}).get('ActiveState') == 'active':
            units.append(unit)
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
    if restart_units(keys, evidence) or reload_units(keys, evidence) or 'systemd' in keys:
        return keys
    return []


def wait_endpoint(restart, ev, runtime):
    """The socket of the service restarted, to wait for: the runtime's own, never a proxy in front of it."""
    if 'containerd' in restart:
        return 'unix://' + containerd_facts.socket_of(ev)
    for kind in SERVICES:
        if kind in restart:
            return 'unix://' + DEFAULT_ENDPOINTS[kind]
    endpoint = (runtime or {}).get('endpoint')
    # An image-only proxy (image-cri-shim as kubelet's runtime endpoint) never answers Version,
    # and may not even be up yet: wait for the runtime behind it.
    path = endpoint_path(endpoint)
    probe = ((ev.socket(path) or {}).get('runtime_probe') or {}) if path else {}
    if path and (probe.get('outcome') == 'unimplemented' or path.replace('/var/run/', '/run/') ==
                 SHIM_SOCKET.replace('/var/run/', '/run/')):
        live = live_runtime_sockets(ev)
        if live:
            return 'unix://' + live[0]
    return endpoint


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        diagnosis = args['diagnosis']
        try:
            settings = plain_settings(args.get('settings') or {})
            evidence = plain(args['evidence'], 'evidence')
            if args['roles'] == ['auto']:
                chosen = wanted(diagnosis, settings)
            else:
                chosen = [(role, 'asked for') for role in args['roles']]
            if args.get('only') is not None:
                chosen = [(role, why) for role, why in chosen if role in args['only']]
            plans = plan_roles([role for role, _why in chosen], Evidence(evidence),
                               plain(diagnosis.get('runtime') or {}, 'runtime'), settings)
        except PlanError as exc:
            if args['fail_on_errors']:
                raise AnsibleActionFail(redact_url(str(exc)))
            result.update(changed=False, roles={}, notes=[], changes=[], restart=[], restart_units=[],
                          reload_units=[], wait_endpoint=None, planned=[], commands=[], errors=[redact_url(str(exc))])
            return result
        except MissingLibrary as exc:
            raise AnsibleActionFail(str(exc))
        changes, notes, errors, secrets, commands = [], [], [], [], []
        for role, _why in chosen:
            plan = plans[role]
            changes.extend(plan['changes'])
            # Node actions that are no file (a socket's mode, a tmpfiles link, an SELinux relabel):
            # run by apply_changes after the files, never in check mode.
            commands.extend(dict(c, role=role) for c in plan.get('commands') or ())
            notes.extend('%s: %s' % (role, n) for n in plan['notes'])
            errors.extend('%s: %s' % (role, e) for e in plan['errors'])
            secrets.extend(s for s in plan.get('secrets') or () if s)
        # A file two roles edit goes to the node once, with both edits (planned in turn).
        changes = merge_changes(changes)
        result.update(changed=False, roles=dict(chosen), notes=notes, changes=[], restart=[], restart_units=[],
                      reload_units=[], wait_endpoint=None, errors=[redact_url(e) for e in errors],
                      planned=[dict((k, c.get(k)) for k in SHOWN) for c in changes],
                      commands=[] if errors else commands)
        if errors:
            if args['fail_on_errors']:
                result.update(failed=True, msg='Nothing was written: ' + ' | '.join(result['errors']))
            return result
        owed = owed_restarts(evidence)
        if not changes and not commands and not owed:
            return result
        if changes or commands:
            # Node actions that are no file run in the same call, after the files (never in check mode).
            applied = self._execute_module(module_name=APPLY_MODULE, module_args={
                'changes': changes, 'secrets': secrets, 'commands': commands}, task_vars=task_vars)
        else:
            applied = {}
        for key in ('changes', 'restart', 'diff', 'commands'):
            if key in applied:
                result[key] = applied[key]
        result['changed'] = bool(applied.get('changed'))
        if owed:
            # The files are right already; only the restart the stopped run owed is missing.
            result['restart'] = sorted(set(result.get('restart') or []) | set(owed))
            result['changed'] = True
            result['notes'].append('an earlier run wrote its files and was stopped before restarting (%s, recorded in '
                                   '%s): restarting now' % (', '.join(owed), PENDING_RESTART))
        # A changed unit file or drop-in takes effect only after a daemon-reload, before the restart.
        if any(str(c.get('path') or '').startswith(UNIT_DIRS) for c in result.get('changes') or ()) and \
                'systemd' not in result.get('restart', []):
            result['restart'] = list(result.get('restart') or []) + ['systemd']
        result['restart_units'] = restart_units(result['restart'], evidence)
        result['reload_units'] = reload_units(result['restart'], evidence)
        result['wait_endpoint'] = wait_endpoint(result['restart'], Evidence(evidence), diagnosis.get('runtime'))
        if applied.get('failed'):
            # apply_error outlives a failed_when that keeps the host going to its report
            msg = redact_url(applied.get('msg') or 'applying the changes failed')
            result.update(failed=True, msg=msg, apply_error=msg)
        return result
