# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of kubelet-credential-provider-rejected, kubelet-credential-provider-plugin-broken,
kubelet-credential-provider-plugin-unusable, kubelet-credential-provider-matches-none: kubelet's image
credential provider flags, config and plugin binaries (facts/credential_provider.py).
Unit-tested only: no test node runs a credential provider plugin."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import posixpath
import struct

from ....evidence import env_file_args
from ....facts import credential_provider as facts
from ....facts.endpoints import KUBELET_FLAG_FILES
from ...catalogue import MANUAL, case, finding

_APPLIES = """kubelet 1.20+ (`--image-credential-provider-config`/`-bin-dir`; the config file may be a directory of *.json/*.yaml/*.yml
since 1.33), read at kubernetes pkg/credentialprovider/plugin (NewKubeGenericRuntimeManager registers the plugins at start).
Unit-tested only (recorded evidence)."""

FINDINGS = {
    'kubelet-credential-provider-rejected': finding(
        'error', 'kubelet refuses its image credential provider setup and does not start', MANUAL, 'pull',
        applies_to=_APPLIES,
        doc="""kubelet registers its image credential provider plugins at start and exits when that fails: one of
`--image-credential-provider-config` / `--image-credential-provider-bin-dir` without the other, a config file that is
missing or that its strict decoder rejects (kind, apiVersion, unknown fields, a provider without `matchImages`,
`apiVersion` or `defaultCacheDuration`, `tokenAttributes` with another apiVersion than v1), or a provider whose binary is
not in the bin dir or not executable. With kubelet down no pod starts and no pull happens. Fix the file or the binary at
the place shown; the collection never writes this file.
""",
        error_text="""Failed to register CRI auth plugins: plugin binary executable /usr/local/lib/kubelet/credentialproviders/ecr-credential-provider \
did not exist""",
        example="""/var/lib/kubelet/kubeadm-flags.env:1 --image-credential-provider-bin-dir=/usr/local/lib/kubelet/credentialproviders
/etc/kubernetes/credential-provider.json:5 plugin binary executable ... did not exist (kubelet does not start)"""),
    'kubelet-credential-provider-plugin-broken': finding(
        'error', 'A credential provider plugin for a verified image cannot run: its pulls go without credentials', MANUAL, 'pull',
        applies_to=_APPLIES,
        doc="""The plugin binary exists and is executable, so kubelet starts, but exec fails at every pull: its ELF interpreter (e.g.
`/lib/ld-musl-x86_64.so.1` of a musl build on a glibc node, talos#11086) does not exist, and the kernel reports that as
"no such file or directory" for the binary itself. kubelet logs the error and pulls without credentials, so a private
image fails with 401 / `no basic auth credentials`. A verification image matches this provider. Install the plugin build
for this node's libc (or a static one).
""",
        error_text="""Failed getting credential from external registry credential provider: error execing credential provider plugin \
ecr-credential-provider for image 123.dkr.ecr.eu-west-1.amazonaws.com/app: fork/exec \
/usr/local/lib/kubelet/credentialproviders/ecr-credential-provider: no such file or directory""",
        example="""/usr/local/lib/kubelet/credentialproviders/ecr-credential-provider: ELF interpreter /lib/ld-musl-x86_64.so.1 is missing
matches 123.dkr.ecr.eu-west-1.amazonaws.com/app:1"""),
    'kubelet-credential-provider-plugin-unusable': finding(
        'warning', 'A credential provider plugin cannot run: pulls of the images it covers go without credentials', MANUAL, 'pull',
        applies_to=_APPLIES,
        doc="""As `kubelet-credential-provider-plugin-broken`, where no verification image matches the provider: public images still pull,
private ones of the registries in its `matchImages` fail.
""",
        error_text="""error execing credential provider plugin ecr-credential-provider for image ...: fork/exec ...: no such file or directory""",
        example='/usr/local/lib/kubelet/credentialproviders/ecr-credential-provider: ELF interpreter /lib/ld-musl-x86_64.so.1 is missing'),
    'kubelet-credential-provider-matches-none': finding(
        'warning', 'No credential provider matches the verified images', MANUAL, 'hygiene',
        applies_to=_APPLIES,
        doc="""kubelet asks a provider only for images its `matchImages` cover: host parts are counted and globbed part by part
(`*.registry.io` does not match `registry.io`), the port must be equal and the path is a prefix. None of the verification
images matches any provider, so kubelet sends no credentials from them. Correct the globs if these images need them.
""",
        error_text='(no error from kubelet; the registry answers 401 Unauthorized / no basic auth credentials)',
        example='/etc/kubernetes/credential-provider.json:7 "*.dkr.ecr.*.amazonaws.com" -- matches none of: registry.example.com/app:1'),
}

FLAGS_FILE = '/var/lib/kubelet/kubeadm-flags.env'
CONFIG = '/etc/kubernetes/credential-provider.json'
BIN_DIR = '/usr/local/lib/kubelet/credentialproviders'
ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1'
PROVIDER = ('{\n  "apiVersion": "kubelet.config.k8s.io/v1",\n  "kind": "CredentialProviderConfig",\n  "providers": [\n    {\n'
            '      "name": "ecr-credential-provider",\n      "matchImages": ["*.dkr.ecr.*.amazonaws.com"],\n'
            '      "defaultCacheDuration": "12h0m0s",\n      "apiVersion": "credentialprovider.kubelet.k8s.io/v1"\n    }\n  ]\n}\n')


def elf_head(interpreter):
    """The first bytes of a little-endian ELF64 binary with one PT_INTERP program header (for the cases)."""
    path = interpreter.encode('ascii') + b'\0'
    header = b'\x7fELF\x02\x01\x01' + b'\0' * 9 + struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, 0, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    phdr = struct.pack('<IIQQQQQQ', facts.PT_INTERP, 4, 120, 120, 120, len(path), len(path), 1)
    return base64.b64encode(header + phdr + path).decode('ascii')


def _setup(ev, h, config=PROVIDER, flags=None, plugin='/lib64/ld-linux-x86-64.so.2', exists=True, mode='0755'):
    flags = flags if flags is not None else '--image-credential-provider-config=%s --image-credential-provider-bin-dir=%s' % (
        CONFIG, BIN_DIR)
    h.with_file(ev, FLAGS_FILE, 'KUBELET_KUBEADM_ARGS="--pod-infra-container-image=registry.k8s.io/pause:3.9 %s"\n' % flags,
                'kubelet-config')
    if config is None:
        h.with_error(ev, CONFIG, 'missing', 'credential-provider')
    else:
        h.with_file(ev, CONFIG, config, 'credential-provider')
    h.with_dir(ev, BIN_DIR, [{'name': 'ecr-credential-provider', 'type': 'file'}] if plugin else [], 'credential-provider')
    ev['executables'] = {}
    if plugin:
        ev['executables'][BIN_DIR + '/ecr-credential-provider'] = {
            'stat': h.stat('file', mode), 'head': elf_head(plugin), 'interpreters': {plugin: exists}, 'error': None}
    return ev


CASES = {
    'kubelet-credential-provider-rejected': [(
        case(lambda ev, h: _setup(ev, h, plugin=None)),
        case(_setup)), (
        case(lambda ev, h: _setup(ev, h, mode='0644')),
        case(lambda ev, h: _setup(ev, h, mode='0700'))), (
        case(lambda ev, h: _setup(ev, h, flags='--image-credential-provider-config=%s' % CONFIG)),
        case(lambda ev, h: _setup(ev, h, flags='--image-credential-provider-config %s --image-credential-provider-bin-dir %s' % (
            CONFIG, BIN_DIR)))), (
        case(lambda ev, h: _setup(ev, h, config=None)),
        case(lambda ev, h: _setup(ev, h, config=PROVIDER.replace('"12h0m0s"', '"0s"')))), (
        case(lambda ev, h: _setup(ev, h, config=PROVIDER.replace('"defaultCacheDuration": "12h0m0s",\n', ''))),
        case(lambda ev, h: _setup(ev, h, config=PROVIDER.replace('"12h0m0s"', '"1h"'))))],
    'kubelet-credential-provider-plugin-broken': (
        case(lambda ev, h: _setup(ev, h, plugin='/lib/ld-musl-x86_64.so.1', exists=False), {'verify_images': [ECR]}),
        # the glibc build on a glibc node
        case(_setup, {'verify_images': [ECR]})),
    'kubelet-credential-provider-plugin-unusable': (
        case(lambda ev, h: _setup(ev, h, plugin='/lib/ld-musl-x86_64.so.1', exists=False),
             {'verify_images': ['registry.k8s.io/pause:3.10']}),
        case(lambda ev, h: _setup(ev, h, plugin='/lib/ld-musl-x86_64.so.1', exists=True),
             {'verify_images': ['registry.k8s.io/pause:3.10']})),
    'kubelet-credential-provider-matches-none': (
        case(_setup, {'verify_images': ['dkr.ecr.eu-west-1.amazonaws.com/app:1']}),
        case(_setup, {'verify_images': [ECR]})),
}


def _flags(ctx):
    """({flag: value}, where) of kubelet's credential provider flags: its command line wins over the env files."""
    ev = ctx.ev
    for proc in ev.processes_named('kubelet'):
        found = facts.flags(proc.get('cmdline') or [])
        if found:
            return found, 'kubelet command line (pid %s)' % proc.get('pid')
    for path in KUBELET_FLAG_FILES:
        for lineno, args in env_file_args(ev.text(path)):
            found = facts.flags(args)
            if found:
                return found, ctx.cite(path, lineno)
    return {}, None


def _listing(ctx, bin_dir):
    """facts.check's bin dir listing from the gathered directory and plugin heads, None when not gathered."""
    ev = ctx.ev
    entry = ev.dirs.get(bin_dir)
    if entry is None:
        return None
    if (entry.get('error') or {}).get('kind') in ('missing', 'not_directory'):
        return {'.missing': {}}
    listing = {}
    executables = ev.raw.get('executables') or {}
    for item in entry.get('entries') or ():
        path = posixpath.join(bin_dir, item.get('name') or '')
        gathered = executables.get(path) or {}
        mode = ((gathered.get('stat') or {}).get('mode'))
        interpreter = exists = None
        try:
            head = base64.b64decode(gathered['head']) if gathered.get('head') else b''
        except (binascii.Error, ValueError, TypeError):
            head = b''
        interpreter = facts.elf_interpreter(head) if head else None
        if interpreter:
            exists = (gathered.get('interpreters') or {}).get(interpreter)
        listing[item.get('name')] = {'mode': mode, 'interpreter': interpreter, 'interpreter_exists': exists}
    return listing


def _configs(ctx, config):
    """[(path, text)] of the config files kubelet reads (a directory: its *.json/*.yaml/*.yml), [] when not gathered,
    None when the named file is missing."""
    ev = ctx.ev
    entry = ev.dirs.get(config)
    if entry is not None and not entry.get('error'):
        names = facts.directory_files([i.get('name') for i in entry.get('entries') or ()])
        return [(posixpath.join(config, n), ev.text(posixpath.join(config, n))) for n in names
                if ev.text(posixpath.join(config, n)) is not None]
    f = ev.file(config)
    if f is None:
        return []
    if (f.get('error') or {}).get('kind') == 'missing':
        return None
    text = ev.text(config)
    return [(config, text)] if text is not None else []


def check(ctx, models):
    found, where = _flags(ctx)
    if not found:
        return
    problems = facts.flag_problems(found)
    if problems:
        ctx.findings.add('kubelet-credential-provider-rejected', [where], '%s. Set both flags or neither.' % problems[0])
        return
    config, bin_dir = found[facts.FLAG_CONFIG], found[facts.FLAG_BIN_DIR]
    files = _configs(ctx, config)
    if files is None:
        ctx.findings.add('kubelet-credential-provider-rejected', [where, '%s: missing' % config], (
            '%s names %s, which does not exist: kubelet exits at start ("Failed to register CRI auth plugins"), '
            'so no pod starts.' % (facts.FLAG_CONFIG, config)))
        return
    listing = _listing(ctx, bin_dir)
    images = list(ctx.settings.get('verify_images') or [])
    matched_any = False
    for path, text in files:
        ctx.needed_paths.add(path)
        rejected = facts.check(text, None, path, bin_dir)
        if rejected:
            ctx.findings.add('kubelet-credential-provider-rejected', [where] + [
                ctx.cite(path, line) + ' -- ' + message for line, message in rejected[:5]], (
                'kubelet rejects %s (%s) and exits at start ("Failed to register CRI auth plugins"), so no pod '
                'starts. Correct the file at the line shown.' % (path, rejected[0][1])))
            continue
        data = _load(ctx, path)
        for provider in (data or {}).get('providers') or []:
            name = provider.get('name')
            covered = [i for i in images if facts.providers_for({'providers': [provider]}, i)]
            matched_any = matched_any or bool(covered)
            problem = facts.binary_problem(name, listing, bin_dir) if listing is not None else None
            if not problem:
                continue
            if 'kubelet does not start' in problem:
                ctx.findings.add('kubelet-credential-provider-rejected', [where, '%s: provider %s' % (path, name)], (
                    '%s: kubelet exits at start ("Failed to register CRI auth plugins"), so no pod starts. Install '
                    'the plugin there with mode 0755, or correct the provider name.' % problem))
            else:
                fid = 'kubelet-credential-provider-plugin-broken' if covered else 'kubelet-credential-provider-plugin-unusable'
                ctx.findings.add(fid, ['%s/%s: %s' % (bin_dir, name, problem)] + ['matches %s' % i for i in covered], (
                    '%s. Install the %s build for this node\'s C library (or a static build).' % (problem, name)))
    if images and files and not matched_any and not ctx.findings.get('kubelet-credential-provider-rejected'):
        ctx.findings.add('kubelet-credential-provider-matches-none', ['%s: matchImages of every provider' % p for p, _t in files], (
            'None of the verification images (%s) matches a credential provider\'s matchImages, so kubelet sends no '
            'credentials from the providers for them. Correct the globs if they need them.' % ', '.join(images)))


def _load(ctx, path):
    parsed = ctx.ev.parsed(path, 'yaml')
    if parsed and parsed[2] is None and isinstance(parsed[0], dict):
        return parsed[0]
    return None
