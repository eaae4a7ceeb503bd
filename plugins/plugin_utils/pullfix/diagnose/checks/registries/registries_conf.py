# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of registries-conf-v1-format, registries-conf-v1-dropin, registries-conf-mixed-versions,
registries-conf-unparsable: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, REGISTRIES, case, finding

FINDINGS = {
    'registries-conf-v1-format': finding(
        'warning', 'registries.conf uses the deprecated v1 format',
        REGISTRIES, 'hygiene',
        applies_to='containers-image (podman 4.x verified): the main registries.conf only',
        doc="""The main `/etc/containers/registries.conf` uses the deprecated v1 format (`[registries.search] registries = [...]`). containers-image \
still accepts it there (verified with podman 4.3); a v1 drop-in is an error (`registries-conf-v1-dropin`).
""",
        error_text='(deprecated; mixing with v2 fails)',
        example='/etc/containers/registries.conf:1 [registries.search]'),
    'registries-conf-v1-dropin': finding(
        'error', 'A registries.conf.d drop-in uses the v1 format: every podman/CRI-O pull fails',
        REGISTRIES, 'pull',
        applies_to='containers-image (podman 4.3 verified): any registries.conf.d drop-in',
        doc="""containers-image accepts the v1 format (`[registries.search] registries = [...]`) only in the main
`/etc/containers/registries.conf`. A drop-in in `registries.conf.d/` in v1 format makes loading the
configuration fail, so every pull of podman, skopeo, buildah and CRI-O fails, fully qualified names
included. Verified with podman 4.3.
""",
        error_text="""Error: loading registries configuration "/etc/containers/registries.conf": loading drop-in registries configuration \
"/etc/containers/registries.conf.d/50-v1.conf": registry must be in v2 format but is in v1""",
        example='/etc/containers/registries.conf.d/50-v1.conf:1 [registries.search]'),
    'registries-conf-mixed-versions': finding(
        'error', 'registries.conf mixes v1 and v2 formats',
        REGISTRIES, 'pull',
        applies_to='CRI-O, podman, skopeo, buildah (containers-image)',
        doc="""One file mixes v1 tables (`[registries.search]`, `[registries.insecure]`) with v2 keys; containers-image refuses the whole configuration.
""",
        error_text='mixing sysregistry v1/v2 is not supported',
        example="""/etc/containers/registries.conf:3 [registries.search]
/etc/containers/registries.conf:1 unqualified-search-registries = ["docker.io"]"""),
    'registries-conf-unparsable': finding(
        'error', 'registries.conf (or a drop-in) cannot be parsed',
        MANUAL, 'pull',
        applies_to='CRI-O, podman, skopeo, buildah (containers-image)',
        doc="""registries.conf or a drop-in is not valid TOML; CRI-O/podman fail to load the registries configuration.

Error text:

```text
loading registries configuration "/etc/containers/registries.conf.d/50-x.conf": toml: line 1: expected a comma or array terminator
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/etc/containers/registries.conf.d/50-x.conf:2 ...
```
"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'registries-conf-v1-format': [(
        # registries_conf converts a v1 main file only when asked to
        case(lambda ev, h: h.with_file(ev, h.REGCONF, '[registries.search]\nregistries = ["docker.io"]\n', 'registries-conf'),
             None, {'remediation': 'manual', 'next_step': 'set pullfix_registries_conf_convert_v1 to true'}),
        case()), (
        case(lambda ev, h: h.with_file(ev, h.REGCONF, '[registries.search]\nregistries = ["docker.io"]\n', 'registries-conf'),
             {'registries_conf_convert_v1': True}),
        case(None, {'registries_conf_convert_v1': True}))],
    'registries-conf-v1-dropin': (
        case(lambda ev, h: h.regconf(ev, '50-v1.conf', '[registries.search]\nregistries = ["docker.io"]\n')),
        case(lambda ev, h: h.regconf(ev, None, '[registries.search]\nregistries = ["docker.io"]\n'))),
    'registries-conf-mixed-versions': (
        case(lambda ev, h: h.with_file(ev, h.REGCONF, 'unqualified-search-registries = ["docker.io"]\n[registries.search]\n'
                                       'registries = ["docker.io"]\n', 'registries-conf')),
        case(lambda ev, h: h.with_file(ev, h.REGCONF, '[registries.search]\nregistries = ["docker.io"]\n', 'registries-conf'))),
    'registries-conf-unparsable': (
        case(lambda ev, h: h.regconf(ev, '50-x.conf', 'unqualified-search-registries = ["docker.io"\n')),
        case(lambda ev, h: h.regconf(ev, '50-x.conf', 'unqualified-search-registries = ["docker.io"]\n'))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = 'the containers-image merge (models/containers_image.py)'


def next_step(ctx, models, fid, finding):
    """registries_conf converts a v1 main file only when pullfix_registries_conf_convert_v1 is true (a v1
    drop-in, which fails every pull, it converts always)."""
    if fid != 'registries-conf-v1-format' or ctx.settings.get('registries_conf_convert_v1') is True:
        return None
    return ('set pullfix_registries_conf_convert_v1 to true (kubenode.pullfix.registries_conf converts a v1 main '
            'file only then, keeping a backup), or rewrite the file in the v2 format by hand')
