# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fleet runs: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

TITLE = 'Fleet runs'
RANK = 120
INTRO = """The report of `fix_pull.yml` adds these itself (docs/fleet.md); the diagnosis never produces them.
"""
