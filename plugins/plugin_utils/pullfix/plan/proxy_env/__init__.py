# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""proxy_env: the collection's own systemd drop-in that adds the routes' endpoints to NO_PROXY.

Only when a runtime unit has HTTP(S)_PROXY and an endpoint on a route (a mirror, a local
registry) is not covered by its NO_PROXY (Go's rules, ``facts.proxy``); the proxy itself is never
touched. The drop-in sorts last among the unit's drop-ins, so its NO_PROXY is the one in effect.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from .. import PlanError, finish, new_plan
from ..owned import marker, nothing_to_do, owned_file
from ..settings import planner_inputs
from ...diagnose.checks.proxy import unbypassed
from ...diagnose.checks.routes import of_runtime
from ...diagnose.context import Context
from ...facts import proxy as pfacts
from ...facts.services import restart_key

ROLE = 'proxy_env'
DROPIN = 'zz-kubenode-pullfix-no-proxy.conf'
MARKER = marker(ROLE)


def dropin_path(unit):
    return '/etc/systemd/system/%s.d/%s' % (unit, DROPIN)


def _quote(value):
    if any(c in value for c in '"\\\n'):
        raise PlanError('NO_PROXY value %r cannot be written into a systemd Environment= line' % value)
    return value


def render(unit, no_proxy, added):
    return '\n'.join([
        MARKER,
        '# NO_PROXY of %s plus the endpoints on the image routes the proxy would otherwise take:' % unit,
        '# %s. Go reads NO_PROXY first; no_proxy is kept equal for other tools.' % ', '.join(added),
        '[Service]',
        'Environment="NO_PROXY=%s" "no_proxy=%s"' % (_quote(no_proxy), _quote(no_proxy)),
        '',
    ])


def check_settings(settings):
    """proxy_env has no settings of its own: it adds only the endpoints the routes already name."""
    return None


def plan(ev, diagnosis, settings):
    """Plan the proxy_env role: one drop-in per runtime unit whose proxy sits in a route's way
    (the routes of the diagnosis given)."""
    ev, diagnosis, runtime, settings = planner_inputs(ev, diagnosis, settings)
    result = new_plan()
    ctx = Context(ev, settings)
    ctx.runtime = dict(runtime)
    for unit, (env, proxy, hits) in sorted(unbypassed(ctx, of_runtime(diagnosis.get('routes'))).items()):
        if not hits:
            continue
        path = dropin_path(unit)
        current = [e.strip() for e in (proxy.get('NO_PROXY') or '').split(',') if e.strip()]
        added = []
        for ep, _route in hits:
            entry = pfacts.no_proxy_entry(ep['host'])
            if entry not in current and entry not in added:
                added.append(entry)
        owned_file(ev, posixpath.normpath(path), render(unit, ','.join(current + added), added),
                   'NO_PROXY for %s: %s' % (unit, ', '.join(added)), ROLE, result, mode='0644',
                   restart=restart_key(unit), advice='left as it is')
    if not result['changes'] and not result['errors']:
        result['notes'].append(nothing_to_do('NO_PROXY', 'no proxy stands in the way of a route'))
    return finish(result)
