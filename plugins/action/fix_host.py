# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin kubenode.pullfix.fix_host: a host's whole run in one task.

Gather (one node call, which also pulls), diagnose and plan on the controller, apply (one node
call, only when something differs); after a change, the restart, one call that waits, gathers
again and verifies, the second diagnosis, and the rollback when the runtime does not come back.
Every decision is in plan/pipeline.py; this file only makes the calls.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.action import PullfixAction
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import redact_url
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.parse import MissingLibrary
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import (
    ansible_input, applied_result, diagnosis_result, empty_remediation, first_diagnosis, node_args, pulled_results,
    remediation, restart_args, rollback_args, rollback_record, settle_args)

ARGUMENT_SPEC = {
    # node_evidence options of every gathering (extra_files, socket_consumers, local_registry)
    'gather': {'type': 'dict', 'default': {}},
    'verify_images': {'type': 'list', 'elements': 'str', 'default': []},
    'settings': {'type': 'dict', 'default': {}},
    'roles': {'type': 'list', 'elements': 'str', 'default': ['auto']},
    'only': {'type': 'list', 'elements': 'str'},
    'fail_on_errors': {'type': 'bool', 'default': True},
    'restart_timeout': {'type': 'int', 'default': 120},
}
EVIDENCE_MODULE = 'kubenode.pullfix.node_evidence'
PULL_MODULE = 'kubenode.pullfix.cri_pull'
APPLY_MODULE = 'kubenode.pullfix.apply_changes'


class ActionModule(PullfixAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def _node(self, module, module_args, task_vars):
        return self._execute_module(module_name=module, module_args=module_args, task_vars=task_vars)

    def _gather(self, module_args, task_vars):
        """(evidence, verify) or a failed result to return (the evidence never leaves this action)."""
        gathered = self._node(EVIDENCE_MODULE, module_args, task_vars)
        if gathered.get('failed') or 'evidence' not in gathered:
            return None, {'failed': True, 'msg': 'gathering the evidence failed: %s' % redact_url(
                str(gathered.get('msg') or gathered.get('module_stderr') or 'no evidence returned'))}
        return gathered, None

    def _diagnose(self, evidence, gathered, args, task_vars, previous=None):
        dargs = {'evidence': evidence, 'settings': args['settings'], 'verify': gathered.get('verify'),
                 'verify_images': args['verify_images'], 'previous': previous}
        diagnosis, kept, pull = first_diagnosis(dargs)
        if pull:
            kept = pulled_results(pull, self._node(PULL_MODULE, pull, task_vars))
        return diagnosis_result(dargs, diagnosis, kept)

    def run(self, tmp=None, task_vars=None):
        result, args = self._start(tmp, task_vars)
        args = ansible_input(args)
        check_mode = bool(self._task.check_mode)
        gathered, failed = self._gather(node_args(args['gather'], verify_images=args['verify_images']), task_vars)
        if failed:
            result.update(failed)
            return result
        evidence = gathered['evidence']
        try:
            diagnosis = self._diagnose(evidence, gathered, args, task_vars)
            rargs = {'roles': args['roles'], 'evidence': evidence, 'diagnosis': diagnosis,
                     'settings': args['settings'], 'fail_on_errors': args['fail_on_errors'], 'only': args.get('only')}
            try:
                planned, apply_args, owed = remediation(rargs)
            except PlanError as exc:
                if args['fail_on_errors']:
                    raise
                planned, apply_args, owed = empty_remediation([str(exc)]), None, []
            result.update(planned)
            result['diagnosis'] = diagnosis
            if planned.get('errors') or (apply_args is None and not owed):
                return result
            applied = self._node(APPLY_MODULE, apply_args, task_vars) if apply_args else {}
            result.update(applied_result(planned, applied, owed, rargs))
            if result.get('failed') or not result.get('changed'):
                return result
            self._settle(result, evidence, args, task_vars, check_mode)
        except (MissingLibrary, PlanError) as exc:
            raise AnsibleActionFail(redact_url(str(exc)))
        return result

    def _settle(self, result, evidence, args, task_vars, check_mode):
        """After a change: restart, wait, gather again, verify, diagnose; roll back when the runtime is gone."""
        first = result['diagnosis']
        restart = restart_args(result)
        if restart:
            # a failed restart shows in the wait below (then the rollback), as the handlers did
            restarted = self._node(APPLY_MODULE, restart, task_vars)
            result['restarted'] = {'failed': bool(restarted.get('failed')), 'msg': redact_url(str(restarted.get('msg') or ''))}
        waited, failed = self._gather(settle_args(args['gather'], result, first.get('runtime'), args['verify_images'],
                                                  args['restart_timeout']), task_vars)
        if failed:
            # the host is not verified after its change: it fails as a failed gathering does
            result.update(failed=True, msg=failed['msg'])
            return
        result['wait'] = waited.get('wait') or {}
        result['diagnosis'] = self._diagnose(waited['evidence'], waited, args, task_vars, previous=first)
        rollback = rollback_args(result, waited, args['restart_timeout'], check_mode)
        if not rollback:
            return
        result['rollback'] = rollback_record(self._node(APPLY_MODULE, rollback, task_vars))
        after, failed = self._gather(settle_args(args['gather'], result, result['diagnosis'].get('runtime'),
                                                 args['verify_images'], args['restart_timeout']), task_vars)
        if not failed:
            result['diagnosis'] = self._diagnose(after['evidence'], after, args, task_vars)
