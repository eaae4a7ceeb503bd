# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The models of one host, computed once from the evidence before any check runs.

Checks only read them, so the order of the checks does not matter. A problem met while a model
is built (a file that does not parse, a value containerd rejects) is recorded in ``problems`` and
reported by the finding module that owns its id, after that module's check."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import runtime
from ..facts import containerd as facts
from .models import containerd, containers_image, routes as route_models, runtime_view


class Problems(object):
    """Findings met while the models were built, in the order they were met."""

    def __init__(self):
        self._met = []

    def add(self, fid, evidence=(), explanation='', caused_by=None):
        self._met.append((fid, evidence, explanation, caused_by))

    def ids(self):
        return set(fid for fid, _ev, _ex, _cb in self._met)

    def report(self, findings, ids):
        """Add the recorded problems whose id is in ``ids`` to ``findings``."""
        for fid, evidence, explanation, caused_by in self._met:
            if fid in ids:
                findings.add(fid, evidence, explanation, caused_by=caused_by)


class Models(object):
    """What the checks read. ``runtime``/``kubelet``: the runtime detected and kubelet's endpoints;
    ``containerd``: the effective containerd configuration (models.containerd.Effective);
    ``certs_roots``: the certs.d directories containerd reads through config_path ([] when none or
    another runtime); ``containers_image``: the registries.conf merge (None without such files);
    ``routes``: every route shown, ``runtime_routes``: those of the runtime kubelet uses;
    ``verify``: node_evidence's verification pulls; ``runtime_view``: what containerd says about
    itself (models.runtime_view.RuntimeView); ``pull_path``: (path, reason) of the pull path the
    diagnosis used; ``disagreements``: where the model of the files and the runtime's own view
    differ, as {what, model, runtime, used, source} (the runtime's value is the one used)."""

    def __init__(self):
        self.problems = Problems()
        self.runtime = self.kubelet = None
        self.containerd = None
        self.certs_roots = []
        self.containers_image = None
        self.routes = self.runtime_routes = []
        self.verify = None
        self.runtime_view = runtime_view.RuntimeView()
        self.pull_path = None
        self.disagreements = []

    def containerd_in_use(self):
        return (self.runtime or {}).get('name') == 'containerd'


def build(ctx, verify=None):
    """The models of ``ctx``'s host. While they are built, ``ctx.findings`` records into ``problems``."""
    models = Models()
    findings, ctx.findings = ctx.findings, models.problems
    try:
        runtime.detect(ctx)
        models.runtime, models.kubelet = ctx.runtime, ctx.kubelet
        models.containerd = containerd.check_config(ctx)
        if models.containerd_in_use():
            models.runtime_view = runtime_view.build(ctx.ev, containerd.cversion(ctx))
            _prefer_runtime(ctx, models)
        models.certs_roots = containerd.check_config_path(ctx, models.containerd, models.pull_path)
        if containers_image.ordered_files(ctx.ev):
            models.containers_image = containers_image.merge(ctx)
        roots = models.certs_roots if models.containerd_in_use() else []
        models.routes = route_models.build(ctx, models.containerd, roots)
        models.runtime_routes = route_models.of_runtime(models.routes)  # podman's own routes are shown, not judged
        models.verify = verify
    finally:
        ctx.findings = findings
    return models


def _prefer_runtime(ctx, models):
    """Where containerd speaks for itself, its word replaces the model's (and the difference is kept).

    The pull path its log names outranks the prediction; the config_path and sandbox image of
    its own config dump (or, without a dump, of CRI Status on 1.x) outrank the file parse. The
    values are compared as containerd ends up with them (its default config_path, its default
    pause image), so a file that leaves them unset agrees with a runtime that fills them in."""
    view, eff = models.runtime_view, models.containerd
    cv = containerd.cversion(ctx)
    predicted = containerd.predicted_pull_path(ctx)
    models.pull_path = predicted
    if view.pull_path:
        models.pull_path = (view.pull_path, view.pull_path_source)
        if view.pull_path != predicted[0]:
            models.disagreements.append({'what': 'pull path', 'model': predicted[0], 'runtime': view.pull_path,
                                         'source': view.pull_path_source, 'model_why': predicted[1]})
    if eff.unusable:
        return  # the files cannot be read whole: the model has no value to compare
    legacy = bool(eff.registry and eff.registry.get('mirrors'))
    if view.config_path is not None:
        mine = facts.effective_config_path(cv, eff.config_path, eff.version, legacy)
        theirs = facts.effective_config_path(cv, view.config_path, eff.version, legacy)
        pull = models.pull_path[0]
        if mine != theirs:
            models.disagreements.append({
                'what': 'config_path', 'model': '"%s" (roots %s)' % (mine, facts.config_path_roots(pull, mine)),
                'runtime': '"%s" (roots %s)' % (theirs, facts.config_path_roots(pull, theirs)),
                'source': view.config_path_source, 'model_why': eff.config_path_cite or 'not set in %s' % eff.main})
            eff.config_path, eff.config_path_cite = view.config_path, view.config_path_source
    if view.sandbox:
        mine = eff.sandbox or facts.default_pause(cv, eff.version)
        if mine != view.sandbox:
            models.disagreements.append({
                'what': 'sandbox image', 'model': mine, 'runtime': view.sandbox, 'source': view.sandbox_source,
                'model_why': eff.sandbox_cite or 'the default of containerd %s' % (
                    '.'.join(str(n) for n in cv[:3]) if cv else '(version unknown)')})
            eff.sandbox, eff.sandbox_cite = view.sandbox, view.sandbox_source
