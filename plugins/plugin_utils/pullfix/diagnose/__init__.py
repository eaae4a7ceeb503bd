# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``diagnose(evidence, settings) -> {"runtime": {...}, "findings": [...]}`` (pure).

The models of the host are computed first (model.py); then every finding module under
checks/<area>/ (found by catalogue.modules(), no list here) reads them and reports its ids."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import catalogue, model
from .context import Context
from ..findings import counts, sort_key

RUNTIME_KEYS = ('name', 'version', 'endpoint', 'image_endpoint', 'source', 'containerd_version')


def diagnose(evidence, settings=None, verify=None):
    """Diagnose one host's evidence. Deterministic; never raises on odd evidence shapes
    except ``parse.MissingLibrary`` when PyYAML is absent on the controller.

    ``verify``: node_evidence's verification pulls through kubelet's image endpoint; a failed
    pull becomes a finding of its class. The result carries the route of every image."""
    ctx = Context(evidence, settings)
    models = model.build(ctx, verify)
    mods = catalogue.modules()
    # A module that judges the diagnosis itself (what it read) runs after the others.
    for mod in [m for m in mods if not getattr(m, 'RUNS_LAST', False)] + [m for m in mods if getattr(m, 'RUNS_LAST', False)]:
        if getattr(mod, 'check', None) is not None:
            mod.check(ctx, models)
        models.problems.report(ctx.findings, mod.FINDINGS)
    _runtime_unused(ctx)
    _next_steps(ctx, models, mods)
    rt = dict((k, ctx.runtime.get(k)) for k in RUNTIME_KEYS)
    return {'runtime': rt, 'findings': ctx.findings.result(), 'routes': models.routes}


def _runtime_unused(ctx):
    """A finding about the files of a runtime kubelet does not use here fails nothing now: it is
    reported under its warning twin (catalogue.unused_runtime_twin)."""
    name = (ctx.runtime or {}).get('name')
    if not name:
        return
    for fid, (runtimes, twin) in sorted(catalogue.runtime_bound().items()):
        if fid in ctx.findings and name not in runtimes:
            ctx.findings.rename(fid, twin, 'Kubelet uses %s here, not %s, so nothing fails now.' % (
                catalogue.runtime_names([name]), catalogue.runtime_names(runtimes)))


def _next_steps(ctx, models, mods):
    """A finding names a remediation role only when that role, with the settings given, fixes it.
    A module whose role acts only on a setting says so in ``next_step(ctx, models, fid, finding)``:
    None when the role will fix it, else the setting (or edit) that would."""
    for mod in mods:
        decide = getattr(mod, 'next_step', None)
        if decide is None:
            continue
        for fid in mod.FINDINGS:
            f = ctx.findings.get(fid)
            if f is not None and f['remediation'] != 'manual':
                text = decide(ctx, models, fid, f)
                if text:
                    ctx.findings.leave_to_person(fid, text)


def mark_fixed(previous, current):
    """Findings after a fix: the current ones, plus each earlier finding that is gone,
    flagged ``fixed: true``. Sorted like every findings list (severity, id)."""
    now = set(f['id'] for f in current)
    gone = [dict(f, fixed=True) for f in previous or [] if f['id'] not in now]
    return sorted(list(current) + gone, key=sort_key)


def diagnose_with_counts(evidence, settings=None):
    result = diagnose(evidence, settings)
    result['counts'] = counts(result['findings'])
    return result
