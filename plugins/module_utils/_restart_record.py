# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a run records the restarts it owes the node (written and cleared by _apply).

A file of its own so that the gathering module, which only reads the record, does not ship the
apply code with every call (AnsiballZ packs every module_utils file a module imports).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The restarts a run owes the node: written before the first file is renamed into place and
# removed once the restarts succeeded, so a run killed in between leaves the next run the
# restart it still needs (the files are right by then, and nothing else would say so).
PENDING_RESTART = "/var/lib/kubenode-pullfix/restart-pending"
