# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin kubenode.pullfix.plan_containerd_registry: controller-side, runs nothing on the node."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.parse import MissingLibrary
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry import plan as plan_containerd_registry

ARGUMENT_SPEC = {
    'evidence': {'type': 'dict', 'required': True},
    'runtime': {'type': 'dict', 'default': {}},
    'settings': {'type': 'dict', 'default': {}},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            plan = plan_containerd_registry(args['evidence'], args.get('runtime') or {}, args.get('settings') or {})
        except (PlanError, MissingLibrary) as exc:
            raise AnsibleActionFail(str(exc))
        result.update(changed=False, changes=plan['changes'], notes=plan['notes'], errors=plan['errors'],
                      summary=['%s %s: %s' % (c['action'], c['path'], c['reason']) for c in plan['changes']])
        return result
