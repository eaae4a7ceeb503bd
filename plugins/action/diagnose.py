# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin kubenode.pullfix.diagnose: controller-side, runs nothing on the node."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose, mark_fixed
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.routes import carry_unverified
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence, endpoint_path, redact_url
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import counts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.parse import MissingLibrary
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import fixed_by
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.settings import plain_settings
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import route_lines

ARGUMENT_SPEC = {
    'evidence': {'type': 'dict', 'required': True},
    'settings': {'type': 'dict', 'default': {}},
    # An earlier diagnosis of the same host (before a fix): its findings that are
    # gone now are kept in the result with fixed=true.
    'previous': {'type': 'dict'},
    # What node_evidence pulled (its `verify` result): kept when it went through the image
    # endpoint this diagnosis finds for kubelet, else `verify_pending` asks for another pull.
    'verify': {'type': 'dict'},
    # The images to pull again, through kubelet's image endpoint, when `verify` went through
    # another one (the node guessed before the diagnosis knew): one more node call, only then.
    'verify_images': {'type': 'list', 'elements': 'str', 'default': []},
}
PULL_MODULE = 'kubenode.pullfix.cri_pull'


def image_endpoint(runtime):
    return (runtime or {}).get('image_endpoint') or (runtime or {}).get('endpoint')


def verification(runtime, verify, images):
    """({verify or verify_pending} to return, cri_pull arguments or None) for the pulls of ``verify``.

    The pulls count when they went through kubelet's image endpoint; otherwise ``images`` are
    pulled again through it, and without images the result says the pulls are pending."""
    if not verify:
        return {}, None
    wanted = image_endpoint(runtime)
    if verify.get('endpoint') and verify.get('endpoint') == wanted:
        return {'verify': {'endpoint': wanted, 'results': verify.get('results') or []}}, None
    if wanted and images:
        return {}, {'endpoint': wanted, 'action': 'pull', 'images': list(images), 'fail_on_error': False}
    return {'verify_pending': bool(wanted)}, None


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


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            settings = plain_settings(args.get('settings') or {})
            diagnosis = diagnose(args['evidence'], settings)
            kept, pull = verification(diagnosis['runtime'], args.get('verify'), args['verify_images'])
            if pull and fix_follows(diagnosis['findings']):
                # a remediation will run and its handlers pull again after the fix: not twice
                kept, pull = {'verify_pending': True}, None
            if pull:
                pulled = self._execute_module(module_name=PULL_MODULE, module_args=pull, task_vars=task_vars)
                if pulled.get('failed'):
                    results = [{'image': i, 'ok': False, 'error': pulled.get('msg') or 'the pull did not run'}
                               for i in pull['images']]
                else:
                    results = pulled.get('results') or []
                kept = {'verify': {'endpoint': pull['endpoint'], 'results': results}}
            counted = kept.get('verify')
            if counted:
                # the registry's own answers: failed pulls become findings of their class
                diagnosis = diagnose(args['evidence'], settings, verify=counted)
        except (MissingLibrary, PlanError) as exc:
            raise AnsibleActionFail(redact_url(str(exc)))
        findings = diagnosis['findings']
        if args.get('previous'):
            findings = carry_unverified(args['previous'].get('findings'), findings, counted)
            findings = mark_fixed(args['previous'].get('findings'), findings)
        result.update(
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
