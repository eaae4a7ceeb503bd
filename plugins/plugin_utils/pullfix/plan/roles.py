# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The remediation roles the pipeline knows: their planners and when they are wanted."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import PlanError, overlay
from . import containerd_registry
from . import registries_conf
from . import runtime_socket
from . import cri_shim
from . import proxy_env
from . import node_runtime
from ..findings import CATALOGUE
from ..settings_schema import remediation_role_names, trigger_keys

PREFIX = 'kubenode.pullfix.'
# The severities whose open findings start the remediation that fixes them.
STARTS = ('error', 'warning')

# role -> (planner, the settings that ask for it even without a finding); the roles, their order
# and the settings that ask for each are defined in settings_schema.
_PLANNERS = {
    'containerd_registry': containerd_registry.plan,
    'registries_conf': registries_conf.plan,
    'runtime_socket': runtime_socket.plan,
    'cri_shim': cri_shim.plan,
    'proxy_env': proxy_env.plan,  # NO_PROXY for the routes' endpoints (docs/remediations/proxy_env.md)
    'node_runtime': node_runtime.plan,  # one CRI runtime per node (docs/remediations/node_runtime.md)
}
ROLES = dict((role, (_PLANNERS[role], trigger_keys(role))) for role in remediation_role_names())


def fixed_by(finding):
    """The remediation role that fixes an open finding, or None (fixed already, or left for a person)."""
    name = finding.get('remediation') or ''
    if finding.get('fixed') or not name.startswith(PREFIX) or name[len(PREFIX):] not in ROLES:
        return None
    return name[len(PREFIX):]


def wanted(diagnosis, settings):
    """Roles to run on a host: those an open error or warning names, and those the user's settings ask for.

    Returns [(role, why)] in a stable order.
    """
    out = {}
    for finding in (diagnosis or {}).get('findings') or ():
        if finding.get('severity') not in STARTS:
            continue  # an info finding reports; it never starts a remediation
        role = fixed_by(finding)
        if role:
            out.setdefault(role, 'finding %s' % finding.get('id'))
    for role, (_planner, keys) in ROLES.items():
        asked = [k for k in keys if settings.get(k)]
        if asked and role not in out:
            out[role] = 'pullfix_%s is set' % asked[0]
    return sorted(out.items())


def plan_roles(roles, ev, diagnosis, settings):
    """Plan every role, in the order given, each on the files as the roles before it leave them
    (``overlay``), all from the one ``diagnosis`` of the evidence as gathered; returns {role: plan}.
    Raises PlanError (invalid settings) before anything is planned."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise PlanError('unknown remediation role %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(ROLES))))
    plans = {}
    for role in roles:
        plans[role] = ROLES[role][0](ev, diagnosis, settings)
        if not plans[role]['errors']:
            ev = overlay(ev, plans[role]['changes'])
    return plans


def remediates(role):
    """Finding ids whose remediation is ``role``."""
    return sorted(fid for fid, info in CATALOGUE.items() if info['remediation'] == PREFIX + role)
