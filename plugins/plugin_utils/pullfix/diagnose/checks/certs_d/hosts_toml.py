# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of hosts-toml-unparsable, hosts-toml-no-host-table, hosts-toml-unknown-key, hosts-toml-url-
invalid, hosts-toml-no-scheme, hosts-toml-trailing-slash, hosts-toml-path-without-override, hosts-toml-
relative-ca, hosts-toml-skip-verify: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from ....facts import containerd as facts
from ...catalogue import CONTAINERD, case, finding
from ...models.containerd import assumed_version, cversion
from . import host_dir_entries, host_dirs, server_and_host_urls

FINDINGS = {
    'hosts-toml-unparsable': finding(
        'error', 'hosts.toml cannot be parsed: its mirrors are silently dropped',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""A `hosts.toml` is not valid TOML. containerd drops that host configuration and pulls go upstream.

Error text:

```text
failed to parse TOML: (2, 9): unexpected end of line
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/etc/containerd/certs.d/quay.io/hosts.toml:1 server = "https://quay.io
```
"""),
    'hosts-toml-no-host-table': finding(
        'error', 'hosts.toml has no [host] table: containerd ignores the whole file',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6 and 1.7 only (2.0+ accepts a file without [host] tables)',
        doc="""A hosts.toml that sets only `server` (no `[host."<url>"]` table) cannot be decoded by
containerd 1.6 and 1.7: the file is skipped and pulls go to the registry itself, as if no
mirror were configured. Seen on the test nodes with containerd 1.6.20 and 1.7.24, with
`ctr --debug images pull --hosts-dir ...`. The files this collection writes always carry at
least one `[host."<url>"]` table (the server repeated when it is the only endpoint).

Error text (containerd log, debug level for the second line):

```text
level=error msg="failed to decode hosts.toml" error="invalid `host` tree"
level=debug msg="do request" host="127.0.0.1:5001" ... url="http://127.0.0.1:5001/v2/library/b/manifests/1"
```

Evidence shown (example):

```text
/etc/containerd/certs.d/127.0.0.1:5001/hosts.toml:1 server = "http://127.0.0.1:5000"
```
"""),
    'hosts-toml-unknown-key': finding(
        'warning', 'hosts.toml has keys containerd does not know (silently ignored)',
        CONTAINERD, 'hygiene',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""A `hosts.toml` sets keys containerd does not know (e.g. `insecure`, `endpoint`, `mirrors`, k3s-only `rewrite`): they are silently \
ignored. Known keys: `server`, `capabilities`, `ca`, `client`, `skip_verify`, `override_path`, `header`, `dial_timeout` (only 2.0.7+ on 2.0 \
and 2.1.0+; older releases ignore it), and `[host."<url>"]` tables.
""",
        error_text='(no error: the setting has no effect)',
        example='/etc/containerd/certs.d/quay.io/hosts.toml:4 insecure = true'),
    'hosts-toml-url-invalid': finding(
        'error', 'hosts.toml server/host URL is not a usable registry URL',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc=r"""containerd prepends `https://` to a `server` or `[host."..."]` URL that does not start with "http",
then parses it (`parseHostConfig` in `remotes/docker/config/hosts.go`). A URL that does not parse
(braces or spaces of an unrendered template, a port that is not a number) makes the whole file fail to
decode: containerd logs it and ignores every mirror in it. A URL that parses but names no host
(`server = "*"`: `*` is no wildcard in hosts.toml) sends every request to `https://*/v2`, which fails.
Two URLs run together (`https://docker.i://registry-1.docker.io`) parse too: Go takes `docker.i:` as the
host (an empty port is valid) and `//registry-1.docker.io` as the path, so containerd dials
`docker.i:443`; the finding names the host containerd dials.
""",
        error_text="""level=error msg="failed to decode hosts.toml" error="unable to parse server {{ mirror }}: parse \\"https://{{ mirror }}\\": \
invalid character \\" \\" in host name"
dial tcp: lookup *: no such host
dial tcp: lookup docker.i on 10.96.0.10:53: no such host""",
        example='/etc/containerd/certs.d/docker.io/hosts.toml:1 server = "*"'),
    'hosts-toml-no-scheme': finding(
        'warning', 'hosts.toml server/host URL has no scheme (https is assumed)',
        CONTAINERD, 'hygiene',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""A `server` or `[host."..."]` URL has no scheme; containerd prefixes `https://`. `skip_verify` does not switch to plain HTTP, so an \
HTTP-only registry fails.
""",
        error_text='failed to do request: Head "https://10.0.0.5:5000/v2/library/nginx/manifests/latest": http: server gave HTTP response to HTTPS client',
        example='/etc/containerd/certs.d/quay.io/hosts.toml:1 [host."m.example.com:5000"]'),
    'hosts-toml-trailing-slash': finding(
        'error', 'hosts.toml URL ends with a slash: the /v2 API path is built wrongly',
        CONTAINERD, 'pull',
        applies_to="""containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files); only a bare \
`https://host/` (path "/"): other paths are cleaned (`path.Clean`)""",
        doc="""A URL is a bare host with a trailing `/` (`https://host/`). containerd cleans the URL path (`path.Clean`) and appends `/v2`, so the \
path `/` becomes `//v2` and the registry answers 404. Longer paths are cleaned first (`https://host/mirror/` becomes `/mirror/v2`, see \
`hosts-toml-path-without-override`) and are not reported here.
""",
        error_text='failed to resolve reference "docker.io/library/nginx:latest": docker.io/library/nginx:latest: not found',
        example='/etc/containerd/certs.d/quay.io/hosts.toml:1 [host."https://m.example.com/"]'),
    'hosts-toml-path-without-override': finding(
        'warning', 'hosts.toml URL has a path but no override_path: /v2 is appended after it',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""A URL has a path (other than `/v2`) and no `override_path = true`: containerd appends `/v2` after the path. Correct for a registry \
served under a sub-path; wrong when the path already is the API root (e.g. some Artifactory/Harbor proxy URLs).
""",
        error_text='failed to resolve reference "quay.io/org/app:1": quay.io/org/app:1: not found',
        example='/etc/containerd/certs.d/quay.io/hosts.toml:1 [host."https://m.example.com/api/quay"]'),
    'hosts-toml-relative-ca': finding(
        'warning', 'hosts.toml ca/client path is relative',
        CONTAINERD, 'consumer',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""`ca` or `client` is a relative path; containerd resolves it against the host directory (`certs.d/<host>/`), other tools do not. When \
the file is not there the TLS handshake fails.
""",
        error_text='tls: failed to verify certificate: x509: certificate signed by unknown authority',
        example='/etc/containerd/certs.d/quay.io/hosts.toml:2 ca = "ca.crt"'),
    'hosts-toml-skip-verify': finding(
        'warning', 'hosts.toml disables TLS verification although it was not requested',
        CONTAINERD, 'security',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""`skip_verify = true` disables TLS verification for a registry although `pullfix_registry_mirrors` does not ask for it for that \
registry (security).
""",
        error_text='(no error: certificates are not checked)',
        example='/etc/containerd/certs.d/quay.io/hosts.toml:2 skip_verify = true'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'hosts-toml-unparsable': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "https://quay.io\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "https://quay.io"\n'))),
    'hosts-toml-no-host-table': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "http://10.0.0.5:5000"\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "http://10.0.0.5:5000"\n'
                                        '[host."http://10.0.0.5:5000"]\n  capabilities = ["pull", "resolve"]\n'))),
    'hosts-toml-unknown-key': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "https://quay.io"\n[host."https://m.example.com"]\n'
                                        '  capabilities = ["pull"]\n  insecure = true\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "https://quay.io"\n[host."https://m.example.com"]\n'
                                        '  capabilities = ["pull"]\n  override_path = false\n  [host."https://m.example.com".header]\n'
                                        '    X-Mirror = "1"\n'))),
    'hosts-toml-url-invalid': [(
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'docker.io', 'server = "*"\n[host."http://10.0.0.5:5000"]\n  capabilities = ["pull"]\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'docker.io', 'server = "https://registry-1.docker.io"\n'
                                        '[host."http://10.0.0.5:5000"]\n  capabilities = ["pull"]\n'))), (
        # two URLs run together: containerd dials "docker.i"; a path that merely holds "//" is only a path
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'docker.io', 'server = "https://docker.i://registry-1.docker.io"\n'
                                        '[host."https://docker.i://registry-1.docker.io"]\n  capabilities = ["pull"]\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'docker.io', 'server = "https://registry-1.docker.io"\n'
                                        '[host."https://m.example.com//v2"]\n  capabilities = ["pull"]\n  override_path = true\n')))],
    'hosts-toml-no-scheme': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."m.example.com:5000"]\n  capabilities = ["pull"]\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."http://m.example.com:5000"]\n  capabilities = ["pull"]\n'))),
    'hosts-toml-trailing-slash': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com/"]\n  capabilities = ["pull"]\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com"]\n  capabilities = ["pull"]\n'))),
    'hosts-toml-path-without-override': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com/api/quay"]\n  capabilities = ["pull"]\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com/api/quay"]\n  capabilities = ["pull"]\n'
                                        '  override_path = true\n'))),
    'hosts-toml-relative-ca': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com"]\n  ca = "ca.crt"\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com"]\n  ca = ["/etc/ssl/m.crt"]\n'))),
    'hosts-toml-skip-verify': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com"]\n  skip_verify = true\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', '[host."https://m.example.com"]\n  skip_verify = true\n'),
             {'registry_mirrors': {'quay.io': {'endpoints': ['https://m.example.com'], 'skip_verify': True}}})),
}
# The registries above are not declared: the role never touches their files, so each finding names the
# setting that would let it (remediation manual).
for _pairs in CASES.values():
    for _positive, _near_miss in (_pairs if isinstance(_pairs, list) else [_pairs]):
        _positive['expect'] = {'remediation': 'manual', 'next_step': 'in pullfix_registry_mirrors'}
# Declared: the role rewrites the file, the finding names it.
CASES['hosts-toml-no-host-table'] = [CASES['hosts-toml-no-host-table'], (
    case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "http://10.0.0.5:5000"\n'),
         {'registry_mirrors': {'quay.io': {'endpoints': ['http://10.0.0.5:5000']}}}),
    case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'quay.io', 'server = "http://10.0.0.5:5000"\n'
                                    '[host."http://10.0.0.5:5000"]\n  capabilities = ["pull", "resolve"]\n'),
         {'registry_mirrors': {'quay.io': {'endpoints': ['http://10.0.0.5:5000']}}}))]


def _paths(value):
    if isinstance(value, str):
        return [value]
    out = []
    if isinstance(value, list):
        for v in value:
            out.extend(_paths(v))
    return out


_URL_BAD_CHARS = frozenset(' \t{}|\\^`')


def url_problem(url):
    """Why containerd cannot use a hosts.toml server/host URL, or None.

    containerd prepends https:// when the value does not start with "http", then url.Parse;
    a parse error drops the whole file, a host that is no host name fails every request."""
    if '{{' in url or '{%' in url:
        return ('still holds an unrendered template: containerd cannot parse it ("unable to parse server"), '
                'logs "failed to decode hosts.toml" and ignores the whole file.')
    full = url if url.startswith('http') else 'https://' + url
    scheme, sep, rest = full.partition('://')
    if not sep or scheme not in ('http', 'https'):
        return 'has the scheme "%s"; containerd speaks only http and https to registries.' % (scheme if sep else full)
    authority = rest.split('/', 1)[0]
    if '@' in authority:
        authority = authority.rsplit('@', 1)[1]
    if any(c in _URL_BAD_CHARS for c in authority):
        return ('is not a valid URL (invalid character in host name): containerd logs "failed to decode '
                'hosts.toml" and ignores the whole file.')
    host, port = authority, ''
    if authority.startswith('['):
        end = authority.find(']')
        host, port = authority[:end + 1], authority[end + 1:].lstrip(':') if end >= 0 else ''
    elif ':' in authority:
        host, port = authority.split(':', 1)
    if port and not port.isdigit():
        return ('has an invalid port ":%s": containerd cannot parse it, logs "failed to decode hosts.toml" and '
                'ignores the whole file.' % port)
    if not host:
        return 'has no host name: every request to it fails.'
    if authority.endswith(':') and rest[len(authority):].startswith('//'):
        # "https://docker.i://registry-1.docker.io": Go's url.Parse takes "docker.i:" as the host (an
        # empty port is valid) and "//registry-1.docker.io" as the path; containerd dials docker.i.
        dial = '%s:%s' % (host, '443' if scheme == 'https' else '80')
        return ('is two URLs run together: containerd takes "%s" as the host and "%s" as the path, so it dials %s, '
                'which fails (no such host or connection refused), and every pull through it fails. Write one '
                'scheme://host[:port], e.g. "%s:%s".' % (host, rest[len(authority):], dial, scheme, rest[len(authority):]))
    if '*' in host:
        return ('is not a host name: "*" is no wildcard in hosts.toml; containerd sends requests to https://%s/v2 '
                'and the lookup of "%s" fails (no such host). Name the real registry or mirror.' % (host, host))
    return None


def _main_version(ctx):
    loaded = ctx.ev.parsed(facts.config_file(ctx.ev), 'toml')
    if loaded and isinstance(loaded[0], dict):
        return loaded[0].get('version')
    return None


def _check_hosts_toml(ctx, path, data, index, registry, mirrors, hostdir):
    hv = cversion(ctx)
    unknown = [((k,), k) for k in data if k not in facts.hosts_keys(hv, top=True)]
    hosts = data.get('host') if isinstance(data.get('host'), dict) else {}
    for url, conf in hosts.items():
        if isinstance(conf, dict):
            unknown.extend((('host', url, k), k) for k in conf if k not in facts.hosts_keys(hv))
    if unknown:
        known = [k for k in ('server', 'capabilities', 'ca', 'client', 'skip_verify', 'override_path', 'header',
                             'dial_timeout') if k in facts.hosts_keys(hv, top=True)]
        ctx.findings.add('hosts-toml-unknown-key', [ctx.cite_key(path, index, kp) for kp, _key in unknown], (
            '%s sets %s, which containerd%s does not know and silently ignores (known: %s, [host."<url>"]).' % (
                path, ', '.join(sorted(set(k for _kp, k in unknown))),
                ' %d.%d.%d' % hv if hv else '', ', '.join(known))))
    if not hosts and facts.requires_host_table(assumed_version(ctx, _main_version(ctx))):
        cite = ctx.cite_key(path, index, ('server',)) if 'server' in data else '%s: no [host."<url>"] table' % path
        ctx.findings.add('hosts-toml-no-host-table', [cite], (
            '%s has no [host."<url>"] table. containerd 1.6 and 1.7 then fail to decode it ("invalid `host` '
            'tree") and ignore the whole file, so pulls go straight to the registry (2.x accepts such a file). '
            'Repeat the server as a [host."<url>"] table.' % path))
    for keypath, url, override in server_and_host_urls(data):
        cite = ctx.cite_key(path, index, keypath)
        problem = url_problem(url)
        if problem:
            ctx.findings.add('hosts-toml-url-invalid', [cite], (
                '%s: "%s" %s' % (path, url, problem)), caused_by='unrendered-template' if '{{' in url else None)
            continue
        if not (url.startswith('http://') or url.startswith('https://')):
            ctx.findings.add('hosts-toml-no-scheme', [cite], (
                '%s has no scheme; containerd assumes https://%s (skip_verify does not switch to http). '
                'Write http:// for a plain-HTTP registry.' % (url, url)))
            continue
        rest = url.split('://', 1)[1]
        upath = facts.clean_url_path(rest[len(rest.split('/', 1)[0]):])
        if upath == '/' and not override:
            ctx.findings.add('hosts-toml-trailing-slash', [cite], (
                '%s has the bare path "/": containerd cleans it to "/" and appends "/v2", so requests go to '
                '"//v2/..." and fail with 404/not found. Drop the trailing slash.' % url))
        elif upath and upath != '/' and not upath.endswith('/v2') and not override:
            ctx.findings.add('hosts-toml-path-without-override', [cite], (
                '%s has the path %s and no override_path = true, so containerd requests %s/v2/...; if the '
                'path already is the registry API root, set override_path = true.' % (url, upath, upath)))
    tables = [((), data)] + [(('host', u), c) for u, c in hosts.items() if isinstance(c, dict)]
    for prefix, conf in tables:
        for key in ('ca', 'client'):
            rel = [p for p in _paths(conf.get(key)) if p and not p.startswith('/')]
            if rel:
                ctx.findings.add('hosts-toml-relative-ca', [ctx.cite_key(path, index, prefix + (key,))], (
                    '%s %s path %s is relative: containerd resolves it against %s (%s), and ctr/other '
                    'consumers may not. Use absolute paths.' % (
                        path, key, ', '.join(rel), hostdir, ', '.join(posixpath.join(hostdir, r) for r in rel))))
        if conf.get('skip_verify') is True:
            wanted = mirrors.get(registry) if isinstance(mirrors.get(registry), dict) else {}
            if wanted.get('skip_verify') is not True:
                ctx.findings.add('hosts-toml-skip-verify', [ctx.cite_key(path, index, prefix + ('skip_verify',))], (
                    '%s disables TLS certificate verification for %s although pullfix_registry_mirrors does '
                    'not ask for it; use ca = "/path/ca.crt" instead.' % (path, registry)))


def check(ctx, models):
    """Every hosts.toml of a certs.d host directory containerd may read (k3s's generated ones aside)."""
    mirrors = ctx.settings.get('registry_mirrors') or {}
    for root, names in host_dirs(ctx):
        for name, sub, hosts_path, loaded in host_dir_entries(ctx, root, names):
            if loaded:
                _check_hosts_toml(ctx, hosts_path, loaded[0], loaded[1], facts.dir_registry(name), mirrors, sub)


_HOSTS_PATH_RE = re.compile(r'^(/\S*?)/([^/\s]+)/hosts\.toml\b')


def next_step(ctx, models, fid, finding):
    """containerd_registry rewrites the hosts.toml of the registries declared in pullfix_registry_mirrors
    only; a file of any other registry is never touched."""
    declared = ctx.settings.get('registry_mirrors') or {}
    left = []
    for line in finding['evidence']:
        m = _HOSTS_PATH_RE.match(line)
        if m:
            registry = facts.dir_registry(m.group(2))
            if registry not in declared and registry not in left:
                left.append(registry)
    if not left:
        return None
    return ('declare %s in pullfix_registry_mirrors (kubenode.pullfix.containerd_registry rewrites the hosts.toml of '
            'declared registries only), or correct the file by hand' % ', '.join('"%s"' % r for r in left))
