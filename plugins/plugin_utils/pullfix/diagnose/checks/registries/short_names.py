# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of short-name-ambiguous-enforcing, crio-config-unparsable: catalogue entries and user text, the
check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import parse_version
from ....facts import containers_image as facts
from ...catalogue import MANUAL, REGISTRIES, case, finding
from ...models.containers_image import CRIO_ENFORCING_SINCE

FINDINGS = {
    'short-name-ambiguous-enforcing': finding(
        'error', 'Short names are ambiguous (several search registries) and short-name mode is enforcing',
        REGISTRIES, 'pull',
        applies_to="""CRI-O 1.34 and later (its own `short_name_mode`, default enforcing), and nodes without a CRI runtime where podman reads \
registries.conf; never containerd, k3s, RKE2, docker, or CRI-O 1.33 and older""",
        doc="""More than one search registry and short-name mode `enforcing`: an unqualified image name is ambiguous and the pull fails. For CRI-O \
the mode comes from CRI-O itself, not from registries.conf: 1.33 and older resolve with short-name mode disabled (never reported), 1.34+ read \
`[crio.image] short_name_mode` (default enforcing). containerd, k3s, RKE2 and docker never read registries.conf (never reported). Only on a node \
without a CRI runtime (podman) does registries.conf's `short-name-mode` decide.
""",
        error_text='short-name resolution enforced but cannot prompt without a TTY',
        example="""CRI-O 1.34.1: [crio.image] short_name_mode not set (default enforcing)
/etc/containers/registries.conf.d/crio.conf:1 unqualified-search-registries = ["docker.io", "quay.io"]"""),
    'crio-config-unparsable': finding(
        'error', 'CRI-O configuration cannot be parsed',
        MANUAL, 'pull',
        applies_to='CRI-O',
        doc="""A CRI-O configuration file (`/etc/crio/crio.conf` or `crio.conf.d/*`) is not valid TOML; CRI-O does not start.

Error text:

```text
unable to decode configuration /etc/crio/crio.conf.d/10-x.conf: toml: ...
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/etc/crio/crio.conf.d/10-x.conf:1 [crio.image
```
"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'short-name-ambiguous-enforcing': (
        case(lambda ev, h: (h.crio(ev, '1.34.1'), h.regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n'))),
        case(lambda ev, h: (h.crio(ev, '1.33.2'), h.regconf(ev, 'crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n')))),
    'crio-config-unparsable': (
        case(lambda ev, h: (h.crio(ev), h.with_file(ev, '/etc/crio/crio.conf.d/10-x.conf', '[crio.image\n', 'crio-config'))),
        case(lambda ev, h: (h.crio(ev), h.with_file(ev, '/etc/crio/crio.conf.d/10-x.conf', '[crio.image]\nshort_name_mode = "disabled"\n',
                                                    'crio-config')))),
}


def crio_short_name_mode(ctx):
    """(mode, cite) from [crio.image] short_name_mode in crio.conf and crio.conf.d (last wins), or (None, None)."""
    ev = ctx.ev
    mode, cite = None, None
    for path in facts.crio_files(ev.paths_by_why('crio-config')):
        loaded = ctx.load(path, 'toml', 'crio-config-unparsable', 'The CRI-O configuration')
        if not loaded:
            continue
        data, index = loaded
        if facts.crio_short_name_mode_of(data) is not None:
            mode = facts.crio_short_name_mode_of(data)
            cite = ctx.cite_key(path, index, ('crio', 'image', 'short_name_mode'))
    return mode, cite


# Runtimes that never read registries.conf: kubelet's pulls through them know no short names.
NOT_CONTAINERS_IMAGE = ('containerd', 'k3s', 'rke2', 'k0s', 'docker')


def check_short_names(ctx, eff):
    """Ambiguous short names under enforcing mode, only where kubelet's pulls resolve them.

    containerd never reads registries.conf. CRI-O takes the mode from its own config, not from
    registries.conf: 1.33 and older resolve with short-name mode disabled, 1.34+ read
    [crio.image] short_name_mode (default enforcing) (REFERENCE.md)."""
    rt = ctx.runtime or {}
    name = rt.get('name')
    if name in NOT_CONTAINERS_IMAGE:
        return
    mode, cite = None, None
    if name == 'crio':
        v = parse_version(rt.get('version'))
        if v and v < CRIO_ENFORCING_SINCE:
            return
        mode, cite = crio_short_name_mode(ctx)
        if mode is None and v:
            mode, cite = 'enforcing', 'CRI-O %s: [crio.image] short_name_mode not set (default enforcing)' % rt.get('version')
    elif eff and eff.get('mode'):
        mode, _path, cite = eff['mode']
    if mode != 'enforcing' or not eff or not eff.get('search'):
        return
    lst, _path, scite = eff['search']
    if len(lst) > 1:
        ctx.findings.add('short-name-ambiguous-enforcing', [cite, scite], (
            'Short-name mode is enforcing and %d search registries are listed (%s), so an unqualified image '
            'such as "nginx" is ambiguous and the pull fails ("short-name resolution enforced but cannot '
            'prompt without a TTY"). Use fully qualified names, aliases, a single search registry, or '
            'another short-name mode.' % (len(lst), ', '.join(lst))))


def check(ctx, models):
    check_short_names(ctx, models.containers_image)
