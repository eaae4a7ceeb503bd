# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The attributes every module of the collection documents, described once, as
    ansible.builtin.action_common_attributes does; each module gives only its support and details."""

    # check_mode and diff_mode, for every module.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts without modifying the target.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when in diff mode.
"""

    # The node side is Linux with systemd or not; the controller side runs wherever Ansible does.
    PLATFORM = r"""
options: {}
attributes:
  platform:
    description: Target operating systems and families that can be operated against.
    support: full
    platforms: posix
"""

    IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode with the same arguments, the second run reports no change.
"""
