# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The findings catalogue (id -> severity, title, remediation, doc) and the collector.

Ids are stable: they are part of the public contract (docs/findings.md, reports,
JUnit test case names). Each id appears at most once per host; repeated
occurrences add evidence lines to the same finding.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .evidence import redact_url

SEVERITIES = ('error', 'warning', 'info')
# pull: kubelet's pulls fail (or would); consumer: crictl, Spegel, a shim or kubeadm cannot reach
# the runtime; security: a risk to the node; hygiene: deprecated, redundant or informational.
CATEGORIES = ('pull', 'consumer', 'security', 'hygiene')
SEVERITY_RANK = {'error': 0, 'warning': 1, 'info': 2}

_P = 'kubenode.pullfix.'
CONTAINERD = _P + 'containerd_registry'
REGISTRIES = _P + 'registries_conf'
SOCKET = _P + 'runtime_socket'
SHIM = _P + 'cri_shim'
NODE = _P + 'node_runtime'
MANUAL = 'manual'
DOC_BASE = 'docs/findings.md#'

# id: (severity, title, remediation, category)
_CATALOGUE = {
    # kubelet and CRI endpoints
    'cri-endpoint-missing': ('error', "Kubelet's CRI endpoint socket does not exist", SOCKET, 'pull'),
    'cri-endpoint-refused': ('error', "Kubelet's CRI endpoint refuses connections (stale socket, nothing listening)", SOCKET, 'pull'),
    'cri-endpoint-not-socket': ('error', "Kubelet's CRI endpoint path is not a socket", SOCKET, 'pull'),
    'cri-endpoint-permission-denied': ('error', "Kubelet's CRI endpoint denies the connection (permission denied)", SOCKET, 'pull'),
    'cri-endpoint-timeout': ('error', "Kubelet's CRI endpoint accepts connections but does not answer", MANUAL, 'pull'),
    'cri-endpoint-image-only': ('error', 'The runtime endpoint is an image-only proxy (unknown service runtime.v1.RuntimeService)', SHIM, 'pull'),
    'cri-endpoint-no-cri-service': ('error', 'The runtime answers but serves no CRI service (CRI plugin not loaded)', CONTAINERD, 'pull'),
    'multiple-cri-endpoints': ('error', 'More than one CRI socket among kubeadm\'s known defaults', NODE, 'consumer'),
    'multiple-cri-endpoints-kubelet-set': ('warning', 'More than one CRI socket among kubeadm\'s known defaults; kubelet names its '
                                           'own, but kubeadm run without criSocket stops', MANUAL, 'consumer'),
    'cri-dockerd-without-docker': ('warning', 'cri-dockerd is present although the runtime is not docker', NODE, 'hygiene'),
    'kubelet-config-unparsable': ('error', 'Kubelet configuration file cannot be parsed', MANUAL, 'pull'),
    # containerd config.toml
    'containerd-config-unparsable': ('error', 'containerd config.toml cannot be parsed', MANUAL, 'pull'),
    'containerd-cri-disabled': ('error', "containerd's CRI plugin is disabled (disabled_plugins)", CONTAINERD, 'pull'),
    'containerd-mirrors-with-config-path': ('error', 'Deprecated registry mirrors (or configs.tls) combined with config_path: the CRI plugin fails to load',
                                            CONTAINERD, 'pull'),
    'containerd-deprecated-mirrors': ('warning', 'Deprecated registry.mirrors used instead of config_path and hosts.toml', CONTAINERD, 'hygiene'),
    'containerd-config-path-unset': ('error', 'containerd registry config_path is not set: certs.d/hosts.toml are ignored', CONTAINERD, 'pull'),
    'containerd-config-path-missing': ('warning', 'containerd registry config_path names a directory that does not exist', CONTAINERD, 'pull'),
    'containerd-config-path-not-directory': ('error', 'containerd registry config_path is not a directory', CONTAINERD, 'pull'),
    'containerd-config-path-list': ('error', 'containerd >= 2.1 does not split a colon-separated config_path', CONTAINERD, 'pull'),
    'containerd-config-version-missing': ('error', 'containerd config uses version 2 plugin names without "version = 2": silently ignored', CONTAINERD, 'pull'),
    'containerd-config-rejected': ('error', 'containerd rejects its configuration and does not start', MANUAL, 'pull'),
    'containerd-import-missing': ('error', 'A containerd imports entry names a file that does not exist: containerd does not start',
                                  MANUAL, 'pull'),
    'containerd-import-replaces-cri-table': ('warning', "An imported file replaces the main file's CRI plugin table (containerd 1.x)",
                                             MANUAL, 'pull'),
    'containerd-configs-tls-ignored': ('warning', 'Deprecated registry configs.tls is ignored (containerd 2.x removed it)',
                                       CONTAINERD, 'pull'),
    'containerd-sandbox-image-ignored': ('warning', 'The sandbox image is set where this config version does not read it', CONTAINERD,
                                         'pull'),
    'containerd-config-version-mismatch': ('error', 'containerd config version 3 on containerd 1.x: containerd does not start with it', CONTAINERD, 'pull'),
    'containerd-config-tables-ignored': ('warning', 'Plugin tables of the other config version are silently ignored', MANUAL, 'hygiene'),
    # certs.d / hosts.toml
    'hosts-toml-unparsable': ('error', 'hosts.toml cannot be parsed: its mirrors are silently dropped', CONTAINERD, 'pull'),
    'hosts-toml-no-host-table': ('error', 'hosts.toml has no [host] table: containerd ignores the whole file', CONTAINERD, 'pull'),
    'hosts-toml-url-invalid': ('error', 'hosts.toml server/host URL is not a usable registry URL', CONTAINERD, 'pull'),
    'hosts-toml-unknown-key': ('warning', 'hosts.toml has keys containerd does not know (silently ignored)', CONTAINERD, 'hygiene'),
    'hosts-toml-no-scheme': ('warning', 'hosts.toml server/host URL has no scheme (https is assumed)', CONTAINERD, 'hygiene'),
    'hosts-toml-trailing-slash': ('error', 'hosts.toml URL ends with a slash: the /v2 API path is built wrongly', CONTAINERD, 'pull'),
    'hosts-toml-path-without-override': ('warning', 'hosts.toml URL has a path but no override_path: /v2 is appended after it', CONTAINERD, 'pull'),
    'hosts-toml-relative-ca': ('warning', 'hosts.toml ca/client path is relative', CONTAINERD, 'consumer'),
    'hosts-toml-skip-verify': ('warning', 'hosts.toml disables TLS verification although it was not requested', CONTAINERD, 'security'),
    'certs-d-dir-never-matches': ('error', 'A certs.d directory name can never match an image registry', CONTAINERD, 'pull'),
    'certs-d-symlink-loop': ('error', 'A certs.d directory containerd looks up is a symbolic link loop: pulls fail', MANUAL, 'pull'),
    'certs-d-entry-not-directory': ('error', 'A certs.d entry containerd looks up is a file, not a directory: its pulls fail', MANUAL, 'pull'),
    'certs-d-entry-dangling': ('warning', 'A certs.d entry is a dangling symbolic link: its hosts.toml is not applied', MANUAL, 'pull'),
    'containerd-config-path-relative': ('warning', 'containerd registry config_path is a relative path', CONTAINERD, 'pull'),
    'certs-d-default-unsupported': ('error', 'certs.d/_default is not supported by this containerd version (< 1.6.17)', CONTAINERD, 'pull'),
    'sandbox-image-not-local': ('error', 'The sandbox (pause) image comes from another registry than the local one', CONTAINERD, 'pull'),
    # k3s / RKE2
    'k3s-wildcard-mirror-broken': ('error', 'Wildcard "*" mirror breaks default-endpoint fallback on this k3s/RKE2 version', CONTAINERD, 'pull'),
    'k3s-mirror-key-invalid': ('error', 'registries.yaml mirror key is not a bare registry host[:port]', CONTAINERD, 'pull'),
    'k3s-endpoint-no-scheme': ('warning', 'registries.yaml mirror endpoint has no scheme', CONTAINERD, 'hygiene'),
    'k3s-generated-certs-d-edited': ('warning', "A hosts.toml in k3s/RKE2's generated certs.d was edited by hand", CONTAINERD, 'hygiene'),
    'k3s-registries-unparsable': ('error', 'k3s/RKE2 registries.yaml cannot be parsed', CONTAINERD, 'pull'),
    'k3s-config-unparsable': ('error', 'k3s/RKE2 config.yaml cannot be parsed', MANUAL, 'pull'),
    # containers-image / CRI-O
    'search-registries-effective': ('info', 'Effective unqualified-search-registries', REGISTRIES, 'hygiene'),
    'search-registries-overridden': ('warning', 'unqualified-search-registries of a file is replaced by a later file', REGISTRIES, 'hygiene'),
    'search-registries-mismatch': ('error', 'Effective unqualified-search-registries differ from pullfix_search_registries', REGISTRIES, 'pull'),
    'registries-conf-v1-format': ('warning', 'registries.conf uses the deprecated v1 format', REGISTRIES, 'hygiene'),
    'registries-conf-v1-dropin': ('error', 'A registries.conf.d drop-in uses the v1 format: every podman/CRI-O pull fails', REGISTRIES,
                                  'pull'),
    'registries-conf-dropin-ignored': ('warning', 'A directory named like a registries.conf.d drop-in is ignored', MANUAL, 'hygiene'),
    'registries-conf-mixed-versions': ('error', 'registries.conf mixes v1 and v2 formats', REGISTRIES, 'pull'),
    'registries-conf-unparsable': ('error', 'registries.conf (or a drop-in) cannot be parsed', MANUAL, 'pull'),
    'short-name-ambiguous-enforcing': ('error', 'Short names are ambiguous (several search registries) and short-name mode is enforcing', REGISTRIES, 'pull'),
    'crio-config-unparsable': ('error', 'CRI-O configuration cannot be parsed', MANUAL, 'pull'),
    # crictl and other consumers
    'crictl-endpoint-missing': ('error', "crictl's endpoint (from /etc/crictl.yaml, or its defaults) is a socket that does not exist",
                                SOCKET, 'consumer'),
    'crictl-config-unreadable': ('warning', '/etc/crictl.yaml cannot be loaded: crictl ignores it and tries its default sockets',
                                 MANUAL, 'consumer'),
    # sockets
    'socket-world-accessible': ('error', 'A runtime socket is writable by everyone', SOCKET, 'security'),
    'socket-group-mismatch': ('warning', 'A runtime socket is not group-accessible to pullfix_socket_group', SOCKET, 'consumer'),
    'var-run-not-run': ('warning', '/var/run is not a symlink to /run and a socket exists under only one of them', SOCKET, 'consumer'),
    'socket-selinux-label': ('warning', 'A runtime socket has the wrong SELinux label (expected container_var_run_t)', SOCKET, 'consumer'),
    # runtime socket consumers (pullfix_socket_consumers, pullfix_socket_compat_link)
    'socket-consumer-unordered': ('warning', 'A consumer of the runtime socket may start before the runtime serves it',
                                  SOCKET, 'consumer'),
    'socket-consumer-unit-missing': ('warning', 'A unit named in pullfix_socket_consumers does not exist', MANUAL,
                                     'consumer'),
    'socket-compat-link-missing': ('warning', 'The conventional containerd socket path does not lead to the runtime\'s socket',
                                   SOCKET, 'consumer'),
    # Sealos image-cri-shim
    'shim-unit-unordered': ('warning', 'image-cri-shim.service is not ordered after containerd and the registry', SHIM, 'pull'),
    'shim-cri-socket-missing': ('error', "image-cri-shim's cri socket does not exist", SHIM, 'pull'),
    'shim-config-unparsable': ('error', '/etc/image-cri-shim.yaml cannot be parsed', MANUAL, 'pull'),
    'kubeadm-image-repository-not-local': ('error', 'kubeadm imageRepository is not the local registry', SHIM, 'pull'),
    'kubeadm-config-unparsable': ('warning', 'kubeadm configuration file cannot be parsed', MANUAL, 'hygiene'),
    # Sealos image-cri-shim: what the cri_shim role refuses to rewrite
    'shim-config-missing': ('error', 'image-cri-shim.service is installed but /etc/image-cri-shim.yaml does not exist', MANUAL, 'pull'),
    'shim-unit-unparsable': ('warning', "A line of image-cri-shim's unit file or drop-ins that systemd ignores", MANUAL, 'hygiene'),
    'unrendered-template': ('error', 'A configuration value still holds an unrendered template ({{ ... }})', MANUAL, 'pull'),
    # evidence problems
    'evidence-read-error': ('warning', 'A file the diagnosis needs could not be read', MANUAL, 'hygiene'),
    'evidence-truncated': ('warning', 'A file was larger than the gathering cap and was truncated', MANUAL, 'hygiene'),
    'host-not-diagnosed': ('error', 'No evidence from this host: it was unreachable or failed before the diagnosis', MANUAL, 'pull'),
    'remediation-refused': ('error', 'A remediation refused to write anything on this host (settings or a file in the way)', MANUAL, 'pull'),
}

# The registry's own answer to a failed verification pull, one id per class, and the proxies in
# the way of a route (docs/explain.md).
PROXY_ENV = _P + 'proxy_env'
_CATALOGUE.update({
    'pull-tls-unknown-authority': ('error', "A pull failed: the endpoint's certificate is signed by an unknown authority", MANUAL, 'pull'),
    'pull-http-to-https': ('error', 'A pull failed: the endpoint gave an HTTP response to an HTTPS client', MANUAL, 'pull'),
    'pull-unauthorized': ('error', 'A pull failed: the endpoint answered unauthorized or denied', MANUAL, 'pull'),
    'pull-manifest-unknown': ('error', 'A pull failed: no endpoint on the route has the manifest (tag or digest)', MANUAL, 'pull'),
    'pull-rate-limited': ('error', 'A pull failed: the endpoint answered 429 Too Many Requests', MANUAL, 'pull'),
    'pull-connection-refused': ('error', 'A pull failed: the endpoint refused the connection', MANUAL, 'pull'),
    'pull-no-such-host': ('error', "A pull failed: the endpoint's host name does not resolve", MANUAL, 'pull'),
    'pull-timeout': ('error', 'A pull failed: the endpoint did not answer in time (i/o timeout)', MANUAL, 'pull'),
    'pull-proxy-connect': ('error', 'A pull failed: the runtime could not connect through its HTTP(S) proxy', PROXY_ENV, 'pull'),
    'pull-failed': ('error', 'A pull failed for a reason the doctor does not classify', MANUAL, 'pull'),
    'proxy-no-proxy-missing': ('error', 'A proxy is set for the runtime and an endpoint on a route is not in NO_PROXY', PROXY_ENV, 'pull'),
    'proxy-units-differ': ('warning', 'HTTP(S)_PROXY is set for one runtime unit but not for another that serves kubelet', MANUAL, 'pull'),
})

# symptom id -> the ids that cause it, most specific first. A symptom found together with one of
# its causes carries ``caused_by`` (the first cause present); reports list it under that cause.
CAUSES = {
    'cri-endpoint-no-cri-service': ('containerd-cri-disabled', 'containerd-mirrors-with-config-path'),
    'cri-endpoint-missing': ('containerd-config-rejected', 'containerd-import-missing', 'containerd-config-unparsable'),
    'cri-endpoint-refused': ('containerd-config-rejected', 'containerd-import-missing', 'containerd-config-unparsable'),
    'shim-cri-socket-missing': ('containerd-config-rejected', 'containerd-import-missing', 'containerd-config-unparsable'),
    'crictl-endpoint-missing': ('crictl-config-unreadable', 'containerd-config-rejected', 'containerd-import-missing',
                                'containerd-config-unparsable'),
    'containerd-config-path-unset': ('containerd-import-replaces-cri-table',),
    'sandbox-image-not-local': ('containerd-sandbox-image-ignored', 'containerd-import-replaces-cri-table'),
    'multiple-cri-endpoints': ('cri-dockerd-without-docker',),
    'multiple-cri-endpoints-kubelet-set': ('cri-dockerd-without-docker',),
}
CAUSES['pull-proxy-connect'] = ('proxy-no-proxy-missing',)

# Ids the report adds itself (the diagnosis never produces them).
REPORT_ONLY = frozenset(['host-not-diagnosed', 'remediation-refused'])

# fix_pull.yml across a fleet: what the report says of a host whose change was rolled back, whose
# apply failed on the node, or that a stopped rollout never reached (docs/fleet.md).
_CATALOGUE.update({
    'remediation-rolled-back': ('error', "The runtime did not come back after this run's changes: they were rolled back",
                                MANUAL, 'pull'),
    'remediation-failed': ('error', 'Applying the changes failed on the node; no file was left half written', MANUAL, 'pull'),
    'host-not-reached': ('warning', 'The rollout stopped before this host: nothing ran on it', MANUAL, 'pull'),
})
REPORT_ONLY = REPORT_ONLY | frozenset(['remediation-rolled-back', 'remediation-failed', 'host-not-reached'])


def catalogue():
    """The catalogue as {id: {severity, title, remediation, doc}} (a fresh copy)."""
    return dict((fid, {'severity': sev, 'title': title, 'remediation': rem, 'category': cat, 'doc': DOC_BASE + fid})
                for fid, (sev, title, rem, cat) in _CATALOGUE.items())


CATALOGUE = catalogue()


class Findings(object):
    """Collects findings; one per id, evidence lines accumulated in order, deduplicated."""

    def __init__(self):
        self._by_id = {}

    def add(self, fid, evidence=(), explanation='', caused_by=None):
        if fid not in _CATALOGUE:
            raise KeyError('unknown finding id %r' % fid)
        if caused_by is not None and caused_by not in _CATALOGUE:
            raise KeyError('unknown cause id %r' % caused_by)
        f = self._by_id.get(fid)
        if f is None:
            sev, title, rem, cat = _CATALOGUE[fid]
            f = self._by_id[fid] = {
                'id': fid, 'severity': sev, 'title': title, 'evidence': [],
                'explanation': [], 'remediation': rem, 'fixed': False,
                'category': cat, 'caused_by': None,
            }
        if caused_by and not f['caused_by'] and caused_by != fid:
            f['caused_by'] = caused_by
        if isinstance(evidence, str):
            evidence = [evidence]
        for line in evidence:
            line = redact_url(str(line))
            if line not in f['evidence']:
                f['evidence'].append(line)
        if explanation:
            explanation = redact_url(explanation)
            if explanation not in f['explanation']:
                f['explanation'].append(explanation)
        return f

    def ids(self):
        return sorted(self._by_id)

    def __contains__(self, fid):
        return fid in self._by_id

    def link_causes(self):
        """Set ``caused_by`` on every symptom whose cause (CAUSES) was found too."""
        for fid, f in self._by_id.items():
            if f['caused_by']:
                continue
            for cause in CAUSES.get(fid, ()):
                if cause in self._by_id:
                    f['caused_by'] = cause
                    break

    def result(self):
        self.link_causes()
        for f in self._by_id.values():
            # a cause that was not reported after all cannot explain anything
            if f['caused_by'] and f['caused_by'] not in self._by_id:
                f['caused_by'] = None
        out = []
        for f in self._by_id.values():
            g = dict(f)
            g['evidence'] = list(f['evidence'])
            g['explanation'] = ' '.join(f['explanation'])
            out.append(g)
        out.sort(key=sort_key)
        return out


def sort_key(finding):
    """The order of every findings list: errors first, then by id."""
    return (SEVERITY_RANK.get(finding.get('severity'), 9), finding.get('id') or '')


def root_first(findings):
    """Findings in report order: each root cause (sort_key order), then the symptoms it causes.

    A symptom whose cause is absent from the list counts as a root cause itself.
    Returns [(finding, depth)] with depth 0 for root causes and 1 for symptoms."""
    findings = list(findings or ())
    present = set(f.get('id') for f in findings)
    children = {}
    roots = []
    for f in sorted(findings, key=sort_key):
        cause = f.get('caused_by')
        if cause and cause in present and cause != f.get('id'):
            children.setdefault(cause, []).append(f)
        else:
            roots.append(f)
    out = []
    seen = set()

    def walk(f, depth):
        if f.get('id') in seen:
            return
        seen.add(f.get('id'))
        out.append((f, min(depth, 1)))
        for child in children.get(f.get('id'), ()):
            walk(child, depth + 1)
    for f in roots:
        walk(f, 0)
    for f in sorted(findings, key=sort_key):  # cycles: never lose a finding
        if f.get('id') not in seen:
            walk(f, 0)
    return out


def cause_counts(findings):
    """(root causes, symptoms) among open errors and warnings."""
    open_ = [f for f in findings or () if f.get('severity') in ('error', 'warning') and not f.get('fixed')]
    roots = symptoms = 0
    for _f, depth in root_first(open_):
        if depth:
            symptoms += 1
        else:
            roots += 1
    return roots, symptoms


def cause_summary(findings):
    """e.g. "2 root causes, 3 symptoms" (open errors and warnings)."""
    roots, symptoms = cause_counts(findings)
    return '%d root cause%s, %d symptom%s' % (roots, '' if roots == 1 else 's', symptoms, '' if symptoms == 1 else 's')


def counts(findings):
    c = {'error': 0, 'warning': 0, 'info': 0}
    for f in findings or ():
        sev = f.get('severity')
        if sev in c:
            c[sev] += 1
    return c
