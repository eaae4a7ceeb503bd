# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``diagnose(evidence, settings) -> {"runtime": {...}, "findings": [...]}`` (pure)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from . import runtime
from .checks import (consumers as checks_consumers, containerd as checks_containerd, evidence as checks_evidence,
                     k3s as checks_k3s, kubelet as checks_kubelet, registries as checks_registries,
                     shim as checks_shim, sockets as checks_sockets, templates as checks_templates)
from .checks import proxy as checks_proxy, routes as checks_routes
from .context import Context
from ..findings import counts, sort_key

RUNTIME_KEYS = ('name', 'version', 'endpoint', 'image_endpoint', 'source', 'containerd_version')


def diagnose(evidence, settings=None, verify=None):
    """Diagnose one host's evidence. Deterministic; never raises on odd evidence shapes
    except ``parse.MissingLibrary`` when PyYAML is absent on the controller.

    ``verify``: node_evidence's verification pulls through kubelet's image endpoint; a failed
    pull becomes a finding of its class. The result carries the route of every image."""
    ctx = Context(evidence, settings)
    runtime.detect(ctx)

    checks_kubelet.check_endpoints(ctx)
    checks_kubelet.check_multiple_endpoints(ctx)
    checks_kubelet.check_cri_dockerd(ctx)
    checks_consumers.check_crictl(ctx)
    checks_templates.check_templates(ctx)

    eff = checks_containerd.check_config(ctx)
    roots = checks_containerd.check_config_path(ctx, eff)
    checks_containerd.check_certs_d(ctx, roots if checks_containerd.containerd_in_use(ctx) else None)
    checks_containerd.check_sandbox(ctx, eff)

    checks_k3s.check_registries_yaml(ctx)
    checks_k3s.check_generated_certs_d(ctx)

    checks_registries.check_dropin_entries(ctx)
    reg = checks_registries.check_search(ctx)
    checks_registries.check_short_names(ctx, reg)

    checks_sockets.check_world_accessible(ctx)
    checks_sockets.check_group(ctx)
    checks_sockets.check_var_run(ctx)
    checks_sockets.check_selinux(ctx)
    checks_sockets.check_consumers(ctx)
    checks_sockets.check_compat_link(ctx)

    checks_shim.check_unit(ctx)
    checks_shim.check_unit_files(ctx)
    checks_shim.check_config(ctx)
    checks_shim.check_image_repository(ctx)

    routes = checks_routes.build(ctx, eff, roots if checks_containerd.containerd_in_use(ctx) else [])
    runtime_routes = checks_routes.of_runtime(routes)  # podman's own routes are shown, not judged
    checks_routes.check_pull_failures(ctx, verify, runtime_routes)
    checks_proxy.check_proxies(ctx, runtime_routes)

    checks_evidence.check_read_errors(ctx)
    checks_evidence.check_truncated(ctx)

    rt = dict((k, ctx.runtime.get(k)) for k in RUNTIME_KEYS)
    return {'runtime': rt, 'findings': ctx.findings.result(), 'routes': routes}


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
