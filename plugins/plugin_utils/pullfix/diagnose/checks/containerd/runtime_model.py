# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of runtime-model-disagrees: the diagnosis checks its own model of containerd's
files against what containerd says about itself (catalogue entry, check, cases; see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding
from ...models.containerd import cversion
from ....facts import containerd as facts

FINDINGS = {
    'runtime-model-disagrees': finding(
        'warning', "The diagnosis' model of containerd's files and containerd's own view of itself disagree",
        MANUAL, 'hygiene',
        applies_to="""containerd 1.6, 1.7, 2.0, 2.1, 2.2 where the gather reached `runtime_view`: the pull path on 2.1+ \
(before 2.1 the CRI plugin has only the local pull path), config_path and the sandbox image on every version \
(`containerd config dump`; without a dump, CRI Status on 1.6/1.7), whether the CRI plugin loads on every version""",
        doc="""A self-check. The diagnosis predicts from containerd's version and files what containerd does
(facts/containerd.py); containerd also says it itself (`runtime_view` in docs/evidence.md): the pull
path in its log ("Falling back to local image pull mode", or its absence on 2.1+ with the CRI plugin
up), the config_path and sandbox image of its own `containerd config dump` (or of CRI Status
`info.config` on 1.6/1.7), whether its CRI plugin answers CRI Status or its log says
"failed to load plugin". Where both speak and differ, this finding names both values and which one
the diagnosis used: the runtime's, always, for the pull path, config_path and sandbox image (the
other findings of this host were judged on it). Whether the CRI plugin loads is compared only.

It never fails a host: the node is judged on what containerd says. It means a fact table or the
merge of the files is wrong or incomplete for this build (a backport, a distribution patch, an
unknown trigger of the local pull path), or the files changed since containerd last started;
please report it with the evidence.
""",
        error_text=None,
        example="""pull path: model "transfer", containerd "local" (used: containerd's): containerd log: ... Falling back to local image pull mode."""),
}

# Problems of the model that mean containerd's CRI plugin does not load (or containerd does not start);
# with facts.cri_load_refusals of the main file, the model's prediction of whether the CRI plugin loads.
CRI_NOT_LOADING = ('containerd-cri-disabled', 'containerd-config-unparsable', 'containerd-config-rejected',
                   'containerd-import-missing')


def _dump_view(sandbox):
    dump = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "%s"\n' \
           '  [plugins."io.containerd.grpc.v1.cri".registry]\n    config_path = "/etc/containerd/certs.d"\n' % sandbox
    return {'containerd_config': [{'binary': '/usr/bin/containerd', 'argv': ['/usr/bin/containerd', 'config', 'dump'],
                                   'rc': 0, 'output': dump, 'truncated': False, 'stderr': [], 'error': None}],
            'cri_status': None, 'journal': None, 'kubeadm_images': None}


CASES = {
    'runtime-model-disagrees': (
        case(lambda ev, h: ev.__setitem__('runtime_view', _dump_view('registry.k8s.io/pause:3.6'))),
        case(lambda ev, h: ev.__setitem__('runtime_view', _dump_view('registry.k8s.io/pause:3.9')))),
}
SOURCE = "the model of containerd's files (models/containerd.py) against runtime_view (models/runtime_view.py)"


def _cri_disagreement(ctx, models):
    view = models.runtime_view
    if view.cri_loaded is None:
        return None
    refused = sorted(models.problems.ids() & set(CRI_NOT_LOADING))
    main = models.containerd.main
    loaded = ctx.ev.parsed(main, 'toml') if main else None
    if loaded and loaded[2] is None and not refused:
        refused = facts.cri_load_refusals(loaded[0], cversion(ctx))
    predicted = not refused
    if predicted == view.cri_loaded:
        return None
    return {'what': 'CRI plugin loads', 'model': 'yes' if predicted else 'no (%s)' % ', '.join(refused),
            'runtime': 'yes' if view.cri_loaded else 'no', 'source': view.cri_loaded_source, 'compared_only': True}


def check(ctx, models):
    if not models.containerd_in_use():
        return
    found = list(models.disagreements)
    cri = _cri_disagreement(ctx, models)
    if cri:
        found.append(cri)
    if not found:
        return
    lines = []
    for d in found:
        used = "compared only, each finding keeps its own evidence" if d.get('compared_only') else "used: containerd's"
        lines.append('%s: model %s, containerd %s (%s): %s' % (d['what'], d['model'], d['runtime'], used, d['source']))
        if d.get('model_why'):
            lines.append('%s: the model read %s' % (d['what'], d['model_why']))
    ctx.findings.add('runtime-model-disagrees', lines, (
        'The diagnosis\' model of containerd\'s files and containerd\'s own view disagree on %s. Where containerd '
        'speaks, its word is used; this host was judged on it. Either a fact about this containerd build is wrong '
        'or incomplete, or the files changed since containerd last started; please report it with the evidence.' % (
            ', '.join(d['what'] for d in found))))
