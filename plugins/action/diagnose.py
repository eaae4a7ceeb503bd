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
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import counts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.parse import MissingLibrary
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
}


def image_endpoint(runtime):
    return (runtime or {}).get('image_endpoint') or (runtime or {}).get('endpoint')


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        verify = args.get('verify')
        wanted = image_endpoint(None)
        try:
            diagnosis = diagnose(args['evidence'], args.get('settings') or {})
            wanted = image_endpoint(diagnosis['runtime'])
            if verify and verify.get('endpoint') and verify.get('endpoint') == wanted:
                # the registry's own answers: failed pulls become findings of their class
                diagnosis = diagnose(args['evidence'], args.get('settings') or {}, verify=verify)
        except MissingLibrary as exc:
            raise AnsibleActionFail(str(exc))
        findings = diagnosis['findings']
        if args.get('previous'):
            findings = carry_unverified(args['previous'].get('findings'), findings, verify)
            findings = mark_fixed(args['previous'].get('findings'), findings)
        result.update(
            changed=False,
            runtime=diagnosis['runtime'],
            findings=findings,
            counts=counts(f for f in findings if not f.get('fixed')),
            routes=diagnosis.get('routes') or [],
            # the routes as text, one line per lookup step and endpoint (playbooks/explain.yml)
            route_text=[line for r in diagnosis.get('routes') or [] for line in route_lines(r)],
        )
        if verify:
            if verify.get('endpoint') and verify.get('endpoint') == wanted:
                result['verify'] = {'endpoint': wanted, 'results': verify.get('results') or []}
            else:
                result['verify_pending'] = bool(wanted)
        return result
