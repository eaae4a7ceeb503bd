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
from .models import containerd, containers_image, routes as route_models


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
    ``verify``: node_evidence's verification pulls."""

    def __init__(self):
        self.problems = Problems()
        self.runtime = self.kubelet = None
        self.containerd = None
        self.certs_roots = []
        self.containers_image = None
        self.routes = self.runtime_routes = []
        self.verify = None

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
        models.certs_roots = containerd.check_config_path(ctx, models.containerd)
        if containers_image.ordered_files(ctx.ev):
            models.containers_image = containers_image.merge(ctx)
        roots = models.certs_roots if models.containerd_in_use() else []
        models.routes = route_models.build(ctx, models.containerd, roots)
        models.runtime_routes = route_models.of_runtime(models.routes)  # podman's own routes are shown, not judged
        models.verify = verify
    finally:
        ctx.findings = findings
    return models
