# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One host's run around the planners, as the action plugins call it (pure, no Ansible imports).

The action plugins ``kubenode.pullfix.diagnose`` and ``kubenode.pullfix.remediate`` parse their
arguments, call these functions and call the node modules they name; every decision is here.
Values from Ansible enter through ``settings.plain`` (``ansible_input``) and nowhere else.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import merge_changes
from .roles import fixed_by, plan_roles, wanted
from .services import after_apply, owed_restarts
from .settings import plain, plain_settings
from ..diagnose import diagnose, mark_fixed
from ..diagnose.checks.routes import carry_unverified
from ..evidence import Evidence, endpoint_path, redact_url
from ..findings import counts
from ..report import route_lines
from ....module_utils._apply import PENDING_RESTART

# The fields a change carries to the node; the report and the play output get all but content.
SHOWN = ('path', 'action', 'reason', 'role', 'restart', 'mode')


def ansible_input(args, settings_key='settings'):
    """The action's arguments as plain Python data (Ansible's str, dict and list subclasses, such
    as AnsibleUnsafeText, become str, dict and list); the settings named by their variables."""
    out = {}
    for key, value in args.items():
        out[key] = plain_settings(value or {}) if key == settings_key else plain(value, key)
    return out


# ---------------------------------------------------------------- diagnose

def image_endpoint(runtime):
    return (runtime or {}).get('image_endpoint') or (runtime or {}).get('endpoint')


def verification(runtime, verify, images):
    """({verify or verify_pending} to return, cri_pull arguments or None) for the pulls of ``verify``.

    The pulls count when they went through kubelet's image endpoint; otherwise ``images`` are
    pulled again through it, and without images the result says the pulls are pending."""
    if not verify:
        return {}, None
    wanted_endpoint = image_endpoint(runtime)
    if verify.get('endpoint') and verify.get('endpoint') == wanted_endpoint:
        return {'verify': {'endpoint': wanted_endpoint, 'results': verify.get('results') or []}}, None
    if wanted_endpoint and images:
        return {}, {'endpoint': wanted_endpoint, 'action': 'pull', 'images': list(images), 'fail_on_error': False}
    return {'verify_pending': bool(wanted_endpoint)}, None


def fix_follows(findings):
    """Whether an open error names a remediation role (fix-pull then applies it and verifies after)."""
    return any(f.get('severity') == 'error' and fixed_by(f) for f in findings or ())


def version_check(evidence, runtime):
    """CRI Version on kubelet's runtime endpoint, as the gathering probed it: the other half of the
    verification (the pulls prove the image endpoint)."""
    endpoint = (runtime or {}).get('endpoint')
    path = endpoint_path(endpoint) if endpoint else None
    probe = ((Evidence(evidence).socket(path) or {}).get('runtime_probe') or {}) if path else {}
    version = probe.get('version') or {}
    return {'endpoint': endpoint, 'ok': bool(probe.get('ok')), 'outcome': probe.get('outcome') or 'not probed',
            'runtime_name': version.get('runtime_name'), 'runtime_version': version.get('runtime_version')}


def first_diagnosis(args):
    """(diagnosis, {verify or verify_pending}, cri_pull arguments or None) before any pull of its own."""
    diagnosis = diagnose(args['evidence'], args['settings'])
    kept, pull = verification(diagnosis['runtime'], args.get('verify'), args.get('verify_images') or [])
    if pull and fix_follows(diagnosis['findings']):
        # a remediation will run and its handlers pull again after the fix: not twice
        kept, pull = {'verify_pending': True}, None
    return diagnosis, kept, pull


def pulled_results(pull, pulled):
    """The kept verification from the cri_pull module's result."""
    if pulled.get('failed'):
        results = [{'image': i, 'ok': False, 'error': pulled.get('msg') or 'the pull did not run'}
                   for i in pull['images']]
    else:
        results = pulled.get('results') or []
    return {'verify': {'endpoint': pull['endpoint'], 'results': results}}


def diagnosis_result(args, diagnosis, kept):
    """The diagnose action's result: the diagnosis with the registry's own answers of the pulls
    counted, the findings of an earlier diagnosis carried or marked fixed."""
    counted = kept.get('verify')
    if counted:
        # the registry's own answers: failed pulls become findings of their class
        diagnosis = diagnose(args['evidence'], args['settings'], verify=counted)
    findings = diagnosis['findings']
    previous = args.get('previous')
    if previous:
        findings = carry_unverified(previous.get('findings'), findings, counted)
        findings = mark_fixed(previous.get('findings'), findings)
    result = dict(
        changed=False,
        runtime=diagnosis['runtime'],
        findings=findings,
        counts=counts(f for f in findings if not f.get('fixed')),
        routes=diagnosis.get('routes') or [],
        version_check=version_check(args['evidence'], diagnosis['runtime']),
        # the routes as text, one line per lookup step and endpoint (playbooks/explain.yml)
        route_text=[line for r in diagnosis.get('routes') or [] for line in route_lines(r)],
    )
    result.update(kept)
    return result


# ---------------------------------------------------------------- remediate

def chosen_roles(args):
    """[(role, why)]: the roles asked for (``auto``: those the diagnosis and settings want), cut to ``only``."""
    if args['roles'] == ['auto']:
        chosen = wanted(args['diagnosis'], args['settings'])
    else:
        chosen = [(role, 'asked for') for role in args['roles']]
    if args.get('only') is not None:
        chosen = [(role, why) for role, why in chosen if role in args['only']]
    return chosen


def empty_remediation(errors=()):
    return dict(changed=False, roles={}, notes=[], changes=[], restart=[], restart_units=[], reload_units=[],
                wait_endpoint=None, planned=[], commands=[], errors=[redact_url(e) for e in errors])


def remediation(args):
    """(result, apply_changes arguments or None, owed restart keys) for the remediate action.

    Raises PlanError (invalid settings) before anything is planned."""
    chosen = chosen_roles(args)
    plans = plan_roles([role for role, _why in chosen], Evidence(args['evidence']), args['diagnosis'],
                       args['settings'])
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
    result = empty_remediation(errors)
    result.update(roles=dict(chosen), notes=notes, planned=[dict((k, c.get(k)) for k in SHOWN) for c in changes],
                  commands=[] if errors else commands)
    if errors:
        if args['fail_on_errors']:
            result.update(failed=True, msg='Nothing was written: ' + ' | '.join(result['errors']))
        return result, None, []
    owed = owed_restarts(args['evidence'])
    apply_args = {'changes': changes, 'secrets': secrets, 'commands': commands} if changes or commands else None
    return result, apply_args, owed


def applied_result(result, applied, owed, args):
    """The remediate action's result once apply_changes ran (``applied``: its result, {} when it
    did not run): what changed, and the restarts, reloads and the wait the handlers owe."""
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
    result.update(after_apply(result.get('restart'), result.get('changes'), args['evidence'],
                              args['diagnosis'].get('runtime')))
    if applied.get('failed'):
        # apply_error outlives a failed_when that keeps the host going to its report
        msg = redact_url(applied.get('msg') or 'applying the changes failed')
        result.update(failed=True, msg=msg, apply_error=msg)
    return result
