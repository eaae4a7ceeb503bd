# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of registries-conf-dropin-ignored: catalogue entries and user text, the check and the cases
(see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts import containers_image as facts
from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'registries-conf-dropin-ignored': finding(
        'warning', 'A directory named like a registries.conf.d drop-in is ignored',
        MANUAL, 'hygiene',
        applies_to='containers-image (podman, skopeo, buildah, CRI-O), every version with registries.conf.d',
        doc="""containers-image walks `/etc/containers/registries.conf.d` for regular files ending in `.conf`
and skips directories (`dropInConfigs` in `pkg/sysregistriesv2`). A directory named `10-x.conf`
is almost always a drop-in copied one level too deep: nothing in it applies.
""",
        example='/etc/containers/registries.conf.d/10-dir.conf: directory'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'registries-conf-dropin-ignored': (
        case(lambda ev, h: ev['dirs'][h.DROPIN]['entries'].append({'name': '10-dir.conf', 'type': 'dir'})),
        case(lambda ev, h: ev['dirs'][h.DROPIN]['entries'].append({'name': 'old', 'type': 'dir'}))),
}


def check_dropin_entries(ctx):
    """A directory named like a drop-in: containers-image walks registries.conf.d for regular *.conf files
    only and skips directories, so nothing in it applies."""
    for entry in ctx.ev.dir_entries(facts.DROPIN_DIR) or ():
        name = entry.get('name') or ''
        if entry.get('type') == 'dir' and name.endswith(facts.DROPIN_SUFFIX):
            path = facts.DROPIN_DIR + '/' + name
            ctx.findings.add('registries-conf-dropin-ignored', ['%s: directory' % path], (
                '%s is a directory. containers-image reads only the regular *.conf files of %s and skips '
                'directories, so no setting inside it applies. Move the drop-in up one level.' % (
                    path, facts.DROPIN_DIR)))


def check(ctx, models):
    check_dropin_entries(ctx)
