# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of search-registries-effective, search-registries-overridden, search-registries-mismatch:
catalogue entries and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ...catalogue import REGISTRIES, case, finding
from ...models.containers_image import MAIN, PACKAGED_DROPINS

FINDINGS = {
    'search-registries-effective': finding(
        'info', 'Effective unqualified-search-registries',
        REGISTRIES, 'hygiene',
        applies_to='CRI-O, podman, skopeo, buildah (containers-image)',
        doc="""Information: the effective `unqualified-search-registries` after merging `/etc/containers/registries.conf` and \
`registries.conf.d/*.conf` in lexical order (a later file replaces the list, `[]` too; an absent key keeps the earlier value), and which file set it.
""",
        error_text='(informational)',
        example='/etc/containers/registries.conf.d/crio.conf:1 unqualified-search-registries = ["docker.io", "quay.io"]'),
    'search-registries-overridden': finding(
        'warning', 'unqualified-search-registries of a file is replaced by a later file',
        REGISTRIES, 'hygiene',
        applies_to='CRI-O, podman, skopeo, buildah (containers-image)',
        doc="""A file's `unqualified-search-registries` is replaced by a later file. Typical: `99-mine.conf` loses to CRI-O's packaged `crio.conf` \
because digits sort before letters. (A packaged `crio.conf` being overridden is not reported.)
""",
        error_text="""Error: initializing source docker://quay.io/org/app:latest: reading manifest latest in quay.io/org/app: unauthorized: access to \
the requested resource is not authorized""",
        example="""/etc/containers/registries.conf.d/99-mine.conf:1 unqualified-search-registries = ["docker.io"]
/etc/containers/registries.conf.d/crio.conf:1 unqualified-search-registries = ["docker.io", "quay.io"]"""),
    'search-registries-mismatch': finding(
        'error', 'Effective unqualified-search-registries differ from pullfix_search_registries',
        REGISTRIES, 'pull',
        applies_to='CRI-O, podman, skopeo, buildah (containers-image)',
        doc="""The effective search order differs from `pullfix_search_registries`.
""",
        error_text='(CRI-O incident) short names resolve through quay.io and fail with an auth or not-found error',
        example='/etc/containers/registries.conf.d/crio.conf:1 unqualified-search-registries = ["docker.io", "quay.io"]'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'search-registries-effective': (
        case(),
        case(lambda ev, h: h.with_file(ev, h.REGCONF, 'short-name-mode = "permissive"\n', 'registries-conf'))),
    'search-registries-overridden': (
        case(lambda ev, h: (h.regconf(ev, '99-mine.conf', 'unqualified-search-registries = ["docker.io"]\n'),
                            h.regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n'))),
        case(lambda ev, h: (h.regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n'),
                            h.regconf(h.ef(ev), 'zz-mine.conf', 'unqualified-search-registries = ["docker.io"]\n')))),
    'search-registries-mismatch': (
        case(None, {'search_registries': ['docker.io', 'quay.io']}),
        case(None, {'search_registries': ['docker.io']})),
}


def check_search(ctx, eff):
    if eff is None:
        return None
    search = eff['search']
    if search is not None:
        lst, path, cite = search
        ctx.findings.add('search-registries-effective', [cite], (
            'Short names resolve through %s (set by %s; registries.conf is read first, then '
            'registries.conf.d/*.conf in lexical order, and the last file that sets the key wins).' % (
                '[' + ', '.join(lst) + ']' if lst else 'no registry ([]: short names fail)', path)))
        for other in eff['setters'][:-1]:
            if other[0] != lst and posixpath.basename(other[1]) not in PACKAGED_DROPINS:
                ctx.findings.add('search-registries-overridden', [other[2], cite], (
                    '%s sets unqualified-search-registries = [%s], but %s is read later and replaces it with '
                    '[%s] (files sort bytewise: digits before letters, so "99-x.conf" loses to "crio.conf").' % (
                        other[1], ', '.join(other[0]), path, ', '.join(lst))))
    wanted = ctx.settings.get('search_registries')
    if wanted:  # None or [] = no opinion
        have = search[0] if search else []
        if list(wanted) != list(have):
            ctx.findings.add('search-registries-mismatch', [search[2] if search else
                                                            '%s: unqualified-search-registries not set' % MAIN], (
                'The effective unqualified-search-registries are [%s] but pullfix_search_registries asks for '
                '[%s].' % (', '.join(have), ', '.join(wanted))))
    return eff


def check(ctx, models):
    check_search(ctx, models.containers_image)
