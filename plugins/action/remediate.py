# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin kubenode.pullfix.remediate: plan every wanted role on the controller, apply in one node call."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.action import PullfixAction
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import redact_url
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.parse import MissingLibrary
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import (
    ansible_input, applied_result, empty_remediation, remediation)

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


class ActionModule(PullfixAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self._start(tmp, task_vars)
        try:
            args = ansible_input(args)
            planned, apply_args, owed = remediation(args)
        except PlanError as exc:
            if args['fail_on_errors']:
                raise AnsibleActionFail(redact_url(str(exc)))
            result.update(empty_remediation([str(exc)]))
            return result
        except MissingLibrary as exc:
            raise AnsibleActionFail(str(exc))
        result.update(planned)
        if planned.get('errors') or (apply_args is None and not owed):
            return result
        # Node actions that are no file run in the same call, after the files (never in check mode).
        applied = self._execute_module(module_name=APPLY_MODULE, module_args=apply_args,
                                       task_vars=task_vars) if apply_args else {}
        result.update(applied_result(planned, applied, owed, args))
        return result
