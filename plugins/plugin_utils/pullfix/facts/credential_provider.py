# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""kubelet's image credential provider plugins: what kubelet checks, and when a plugin cannot run.

Read in kubernetes pkg/credentialprovider/plugin/ at commit 03db2278d526956809080ef919a931f982ec4bb7
(config.go) and 01302639f593c742911309f5942ca2d683da871b (plugin.go), the versions in the
source index (the repository is too large to fetch here, so lines are named by function):
- Flags `--image-credential-provider-config` (a file, or a directory whose *.json/*.yaml/*.yml
  files are merged in lexical order; a provider name twice is an error) and
  `--image-credential-provider-bin-dir` (config.go readCredentialProviderConfig).
- Decoding is strict (plugin.go `serializer.EnableStrict`): unknown fields are errors; kind must be
  CredentialProviderConfig and the group kubelet.config.k8s.io (config.go decode).
- validateCredentialProviderConfig (config.go): providers non-empty; name without "/", " ", not
  "." or ".."; names unique; apiVersion required and one of credentialprovider.kubelet.k8s.io/
  v1alpha1, v1beta1, v1 (plugin.go apiVersions); matchImages non-empty and each parseable;
  defaultCacheDuration required and >= 0; tokenAttributes only with apiVersion .../v1 (and the
  KubeletServiceAccountTokenForCredentialProviders gate).
- kubelet registers the plugins when EITHER flag is set and exits on any error: `Failed to register
  CRI auth plugins` then os.Exit(1) (pkg/kubelet/kuberuntime/kuberuntime_manager.go
  NewKubeGenericRuntimeManager, as held in the source index); one flag without the other fails
  ("credential provider config path is empty" / an empty bin dir that does not exist).
- RegisterCredentialProviderPlugins (plugin.go): the bin dir must exist ("plugin binary directory
  %s did not exist"); every provider's binary must be found by exec.LookPath ("plugin binary
  executable %s did not exist"); an error here stops kubelet from starting.
- At pull time (plugin.go runPlugin): `error execing credential provider plugin <name> for image
  <image>: <err>`; a binary whose ELF interpreter (e.g. musl's /lib/ld-musl-x86_64.so.1) is
  missing passes LookPath but exec fails with "no such file or directory". The plugin must answer
  with the same apiVersion as configured ("apiVersion from credential plugin response did not
  match expected apiVersion:%s, actual apiVersion:%s"); a plugin that does not know the version it
  is asked in answers e.g. "group version credentialprovider.kubelet.k8s.io/v1 is not supported"
  (talos#11086, cloud-provider-aws#596). On any failure kubelet pulls without those credentials.
- matchImages (pkg/credentialprovider keyring.go URLsMatchStr/URLsMatch, v1.35.0 lines 241-290 as
  cited by a downstream port): scheme-less URL; the host is split on "." and must have the same
  number of parts as the image's, each part a filepath.Match glob ("*.registry.io" matches
  "a.registry.io" but not "registry.io" nor "a.b.registry.io"); the port must be equal; the
  pattern's path must be a prefix of the image's path.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import struct
import posixpath
import re

import yaml

from ..evidence import parse_version

from . import go_duration

CONFIG_GROUP = 'kubelet.config.k8s.io'
CONFIG_API_VERSIONS = ('kubelet.config.k8s.io/v1alpha1', 'kubelet.config.k8s.io/v1beta1', 'kubelet.config.k8s.io/v1')
KIND = 'CredentialProviderConfig'
PROVIDER_API_VERSIONS = ('credentialprovider.kubelet.k8s.io/v1alpha1', 'credentialprovider.kubelet.k8s.io/v1beta1',
                         'credentialprovider.kubelet.k8s.io/v1')
TOKEN_ATTRIBUTES_API = 'credentialprovider.kubelet.k8s.io/v1'
TOP_FIELDS = ('apiVersion', 'kind', 'providers')
PROVIDER_FIELDS = ('name', 'matchImages', 'defaultCacheDuration', 'apiVersion', 'args', 'env', 'tokenAttributes')
FLAG_CONFIG = '--image-credential-provider-config'
FLAG_BIN_DIR = '--image-credential-provider-bin-dir'
CONFIG_SUFFIXES = ('.json', '.yaml', '.yml')


def split_url(text):
    """(host parts, port, path) of a scheme-less URL as kubelet's ParseSchemelessURL/SplitURL see it."""
    rest = text.split('://', 1)[1] if '://' in text else text
    host, sep, path = rest.partition('/')
    path = sep + path
    port = ''
    m = re.match(r'^(.*):([0-9]*)$', host)
    if m and not host.endswith(']'):
        host, port = m.group(1), m.group(2)
    return host.split('.'), port, path


def matches(pattern, image):
    """kubelet's URLsMatchStr(pattern, image): does a matchImages entry cover this image?"""
    pparts, pport, ppath = split_url(pattern)
    iparts, iport, ipath = split_url(image)
    if pport != iport or len(pparts) != len(iparts) or not ipath.startswith(ppath):
        return False
    return all(fnmatch.fnmatchcase(i, p) for p, i in zip(pparts, iparts))


def providers_for(config, image):
    """Names of the providers whose matchImages cover ``image`` (e.g. "123.dkr.ecr.x.amazonaws.com/app")."""
    out = []
    for provider in (config or {}).get('providers') or []:
        if isinstance(provider, dict) and any(isinstance(m, str) and matches(m, image)
                                              for m in provider.get('matchImages') or []):
            out.append(provider.get('name'))
    return out


def flags(args):
    """{flag: value} of the credential provider flags in a kubelet argument list (--flag=v or --flag v)."""
    out = {}
    args = list(args or [])
    for i, arg in enumerate(args):
        for flag in (FLAG_CONFIG, FLAG_BIN_DIR):
            if arg.startswith(flag + '='):
                out[flag] = arg.split('=', 1)[1]
            elif arg == flag and i + 1 < len(args):
                out[flag] = args[i + 1]
    return out


def flag_problems(found):
    """Messages for a kubelet whose credential provider flags cannot work ({flag: value} from flags())."""
    if not found:
        return []
    if not found.get(FLAG_CONFIG):
        return ['%s is set without %s: kubelet exits (Failed to register CRI auth plugins: credential provider '
                'config path is empty)' % (FLAG_BIN_DIR, FLAG_CONFIG)]
    if not found.get(FLAG_BIN_DIR):
        return ['%s is set without %s: kubelet exits (Failed to register CRI auth plugins: plugin binary '
                'directory  did not exist)' % (FLAG_CONFIG, FLAG_BIN_DIR)]
    return []


def _lines(node, path=()):
    """{key path: line} of a YAML node tree (1-based)."""
    out = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[path + (key.value,)] = key.start_mark.line + 1
            out.update(_lines(value, path + (key.value,)))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            out.update(_lines(value, path + (i,)))
    return out


def check(config_text, bin_dir_listing=None, path='credential provider config', bin_dir='<bin-dir>'):
    """[(line, message)] of what stops kubelet from using this CredentialProviderConfig.

    bin_dir_listing: None when not gathered, else {name: {'mode': int, 'interpreter': str or None,
    'interpreter_exists': bool}} of the files in the --image-credential-provider-bin-dir (an empty
    dict = the directory is empty; the key '.missing' = the directory does not exist).
    """
    try:
        node = yaml.compose(config_text)
        data = yaml.safe_load(config_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        return [((mark.line + 1) if mark else 1, '%s is not YAML/JSON: %s' % (path, getattr(exc, 'problem', exc)))]
    if node is None or not isinstance(data, dict):
        return [(1, '%s: expected a CredentialProviderConfig object' % path)]
    at = _locator(_lines(node))
    problems = _config_problems(data, at)
    seen = set()
    for i, provider in enumerate(data.get('providers') if _has_providers(data) else []):
        problems.extend(_provider_problems(i, provider, at, seen, bin_dir_listing, bin_dir))
    return sorted(problems, key=lambda p: p[0])


def _locator(lines):
    """at(*keys): the line of the deepest of keys' prefixes that the document has (1 when none)."""
    def at(*keys):
        for n in range(len(keys), -1, -1):
            if keys[:n] in lines:
                return lines[keys[:n]]
        return 1
    return at


def _has_providers(data):
    providers = data.get('providers')
    return isinstance(providers, list) and bool(providers)


def _config_problems(data, at):
    """[(line, message)] of the top-level fields: unknown ones, kind, apiVersion, an empty providers."""
    problems = []
    for key in data:
        if key not in TOP_FIELDS:
            problems.append((at(key), 'strict decoding error: unknown field "%s"' % key))
    if data.get('kind') != KIND:
        problems.append((at('kind'), 'failed to decode "%s" (wrong Kind)' % (data.get('kind') or '')))
    api = data.get('apiVersion') or ''
    if api.split('/')[0] != CONFIG_GROUP or api not in CONFIG_API_VERSIONS:
        problems.append((at('apiVersion'), 'apiVersion "%s": expected one of %s' % (api, ', '.join(CONFIG_API_VERSIONS))))
    if not _has_providers(data):
        problems.append((at('providers'), 'providers: Required value: at least 1 item in plugins is required'))
    return problems


def _provider_problems(i, provider, at, seen, bin_dir_listing, bin_dir):
    """[(line, message)] of providers[i]; seen: the names of the providers before it (updated)."""
    if not isinstance(provider, dict):
        return [(at('providers', i), 'providers[%d]: expected an object' % i)]
    problems = []
    for key in provider:
        if key not in PROVIDER_FIELDS:
            problems.append((at('providers', i, key), 'strict decoding error: unknown field "providers[%d].%s"'
                             % (i, key)))
    name = provider.get('name') or ''
    problems.extend(_name_problems(name, at('providers', i, 'name'), seen))
    papi = provider.get('apiVersion')
    if not papi:
        problems.append((at('providers', i), 'providers.apiVersion: Required value'))
    elif papi not in PROVIDER_API_VERSIONS:
        problems.append((at('providers', i, 'apiVersion'), 'providers.apiVersion: Unsupported value: "%s": '
                                                           'supported values: %s' % (papi, ', '.join(
                                                               '"%s"' % v for v in PROVIDER_API_VERSIONS))))
    images = provider.get('matchImages')
    if not isinstance(images, list) or not images:
        problems.append((at('providers', i, 'matchImages'), 'providers.matchImages: Required value: at least 1 '
                                                            'item in matchImages is required'))
    duration = provider.get('defaultCacheDuration')
    if duration is None:
        problems.append((at('providers', i), 'providers.defaultCacheDuration: Required value'))
    else:
        try:
            if go_duration.parse(duration) < 0:
                problems.append((at('providers', i, 'defaultCacheDuration'), 'providers.defaultCacheDuration: '
                                 'Invalid value: defaultCacheDuration must be greater than or equal to 0'))
        except go_duration.DurationError as exc:
            problems.append((at('providers', i, 'defaultCacheDuration'), str(exc)))
    if 'tokenAttributes' in provider and papi != TOKEN_ATTRIBUTES_API:
        problems.append((at('providers', i, 'tokenAttributes'), 'providers.tokenAttributes: Forbidden: '
                                                                'tokenAttributes is only supported for %s API '
                                                                'version' % TOKEN_ATTRIBUTES_API))
    if bin_dir_listing is not None and name:
        problem = binary_problem(name, bin_dir_listing, bin_dir)
        if problem:
            problems.append((at('providers', i, 'name'), problem))
    return problems


def _name_problems(name, line, seen):
    """[(line, message)] of a provider's name: a '/', a space, '.', '..', or one seen before (added to seen)."""
    problems = []
    for bad, why in (('/', "provider name cannot contain '/'"), (' ', 'provider name cannot contain spaces')):
        if bad in name:
            problems.append((line, 'providers.name: Invalid value: "%s": %s' % (name, why)))
    if name in ('.', '..'):
        problems.append((line, "providers.name: Invalid value: \"%s\": provider name "
                               "cannot be '%s'" % (name, name)))
    if name in seen:
        problems.append((line, 'providers.name: Duplicate value: "%s"' % name))
    seen.add(name)
    return problems


def binary_problem(name, listing, bin_dir='<bin-dir>'):
    """Why kubelet cannot run provider ``name`` from its bin dir listing, or None."""
    if '.missing' in listing:
        return 'plugin binary directory %s did not exist (kubelet does not start)' % bin_dir
    entry = listing.get(name)
    if entry is None:
        return 'plugin binary executable %s did not exist (kubelet does not start)' % posixpath.join(bin_dir, name)
    mode = entry.get('mode')
    if isinstance(mode, str):
        mode = int(mode, 8)
    if mode is not None and not mode & 0o111:
        return 'error inspecting binary executable %s: permission denied (kubelet does not start)' % posixpath.join(
            bin_dir, name)
    if entry.get('interpreter') and entry.get('interpreter_exists') is False:
        return ('error execing credential provider plugin %s: fork/exec %s: no such file or directory (its ELF '
                'interpreter %s is missing on this node; pulls go without these credentials)'
                % (name, posixpath.join(bin_dir, name), entry['interpreter']))
    return None


def directory_files(names):
    """The files of a --image-credential-provider-config directory kubelet reads, in its order."""
    return sorted(n for n in names if posixpath.splitext(n)[1] in CONFIG_SUFFIXES)


# API versions a plugin release speaks, where known. ecr-credential-provider implements only
# credentialprovider.kubelet.k8s.io/v1alpha1 before 1.27.1 (cloud-provider-aws#596, PR #597; noted in
# amazon-eks-ami files/bootstrap.sh 148 at 42c3f524cd74d82c7ea4aaecbc0d46c1c39d2095).
PLUGIN_V1_SINCE = {'ecr-credential-provider': (1, 27, 1)}


def plugin_speaks(plugin, version, api_version):
    """True/False when it is known whether this plugin release answers ``api_version``; None when unknown."""
    since = PLUGIN_V1_SINCE.get(plugin)
    v = parse_version(version) if isinstance(version, str) else version
    if since is None or v is None:
        return None
    if api_version.endswith('/v1alpha1'):
        return True
    return v >= since


PT_INTERP = 3


def elf_interpreter(head):
    """The ELF program interpreter (PT_INTERP) named in the first bytes of a binary, '' for a static
    binary, None when ``head`` is not an ELF file or too short to tell. exec fails with "no such file
    or directory" when this path does not exist on the node (talos#11086: /lib/ld-musl-x86_64.so.1).
    Layout: the System V gABI ELF header (e_ident class/data, e_phoff, e_phentsize, e_phnum).
    Checked here on this machine's Debian 12 /bin/ls (first 4096 bytes): /lib64/ld-linux-x86-64.so.2."""
    if len(head) < 52 or head[:4] != b'\x7fELF':
        return None
    is64 = head[4:5] == b'\x02'
    order = '<' if head[5:6] == b'\x01' else '>'
    if is64:
        if len(head) < 64:
            return None
        phoff, = struct.unpack_from(order + 'Q', head, 32)
        phentsize, phnum = struct.unpack_from(order + 'HH', head, 54)
    else:
        phoff, = struct.unpack_from(order + 'I', head, 28)
        phentsize, phnum = struct.unpack_from(order + 'HH', head, 42)
    for i in range(phnum):
        at = phoff + i * phentsize
        if at + phentsize > len(head):
            return None
        p_type, = struct.unpack_from(order + 'I', head, at)
        if p_type != PT_INTERP:
            continue
        if is64:
            offset, = struct.unpack_from(order + 'Q', head, at + 8)
            size, = struct.unpack_from(order + 'Q', head, at + 32)
        else:
            offset, = struct.unpack_from(order + 'I', head, at + 4)
            size, = struct.unpack_from(order + 'I', head, at + 16)
        if offset + size > len(head):
            return None
        return head[offset:offset + size].split(b'\0', 1)[0].decode('utf-8', 'replace')
    return ''
