# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Secrets are redacted by their shape (where they stand), not by a list of known flags; names of
files and settings are kept. Every report line goes through redact_url (findings) or redact_line."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import redact_line, redact_url, secret_name
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.report import render_all

KUBEADM_FLAGS = ('/var/lib/kubelet/kubeadm-flags.env:1 KUBELET_KUBEADM_ARGS="--container-runtime-endpoint='
                 'unix:///run/containerd/containerd.sock --image-credential-provider-config=/x?token=tok-SECRET-1 '
                 '--registry-password=pw-SECRET-2"')

REDACTED = [
    # (line, the secret, what must remain)
    (KUBEADM_FLAGS, 'tok-SECRET-1', '--image-credential-provider-config=/x?token=<redacted>'),
    (KUBEADM_FLAGS, 'pw-SECRET-2', '--registry-password=<redacted>'),
    ('endpoint = ["https://bob:pw-SECRET@mirror.example.com/v2"]', 'pw-SECRET', 'https://bob:<redacted>@mirror.example.com'),
    ('https://tok-SECRET@mirror.example.com', 'tok-SECRET', 'https://<redacted>@mirror.example.com'),
    ('curl -H "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig-SECRET" https://r', 'sig-SECRET',
     '-H "Authorization: <redacted>" https://r'),
    ('Authorization: Basic Ym9iOnB3LVNFQ1JFVA==', 'Ym9iOnB3LVNFQ1JFVA==', 'Authorization: <redacted>'),
    ('[host."https://m".header] Authorization = "Basic Ym9iOnB3LVNFQ1JFVA=="', 'Ym9iOnB3LVNFQ1JFVA==', 'Basic <redacted>'),
    ('{"auths": {"registry.example.com": {"auth": "Ym9iOnB3LVNFQ1JFVA=="}}}', 'Ym9iOnB3LVNFQ1JFVA==',
     '{"auths": {"registry.example.com": {"auth": "<redacted>"}}}'),
    ('{"auths": {"r": {"identitytoken": "id-SECRET"}}}', 'id-SECRET', '"identitytoken": "<redacted>"'),
    ('https://acct.blob.core.windows.net/c/blob?sv=2022-11-02&sig=sig-SECRET&se=2030', 'sig-SECRET',
     '?sv=2022-11-02&sig=<redacted>&se=2030'),
    ('https://bucket.s3.amazonaws.com/o?X-Amz-Signature=sig-SECRET', 'sig-SECRET', 'X-Amz-Signature=<redacted>'),
    ('https://maps.example.com/api?key=key-SECRET&q=1', 'key-SECRET', '?key=<redacted>&q=1'),
    ('https://r.example.com/token?auth=auth-SECRET', 'auth-SECRET', '?auth=<redacted>'),
    ('Environment=REGISTRY_TOKEN=tok-SECRET', 'tok-SECRET', 'Environment=REGISTRY_TOKEN=<redacted>'),
    ('Environment="HTTPS_PROXY=http://proxy:pw-SECRET@10.0.0.1:3128"', 'pw-SECRET', 'http://proxy:<redacted>@10.0.0.1'),
    ('/usr/bin/tool --password pw-SECRET --config /etc/tool.yaml', 'pw-SECRET', '--password <redacted> --config /etc/tool.yaml'),
    ('/etc/image-cri-shim.yaml:7 auth: admin:pw-SECRET', 'pw-SECRET', 'auth: <redacted>'),
    ('client_secret=cs-SECRET', 'cs-SECRET', 'client_secret=<redacted>'),
    ('password_hash=ph-SECRET', 'ph-SECRET', 'password_hash=<redacted>'),
]


@pytest.mark.parametrize('line,secret,kept', REDACTED)
def test_secret_is_redacted_by_shape(line, secret, kept):
    for redact in (redact_url, redact_line):
        out = redact(line)
        assert secret not in out, (redact.__name__, out)
        assert kept in out, (redact.__name__, out)


NOT_SECRETS = [
    # near-misses: names of files and settings, words that only contain a secret's word
    '--image-credential-provider-config=/etc/kubernetes/credential-provider.yaml',
    '--image-credential-provider-bin-dir=/usr/libexec/kubernetes/credential-providers',
    'token_file=/var/run/secrets/kubernetes.io/serviceaccount/token',
    '--tls-private-key-file=/etc/kubernetes/pki/kubelet.key',
    'auth_type=basic',
    'monkey=banana',
    'server = "https://registry-1.docker.io"',
    'cri: /var/run/containerd/cri.sock',
    'auth:',
    'Basic authentication is required by this registry',
    'failed to pull: unexpected status from HEAD request: 401 Unauthorized',
    '--container-runtime-endpoint=unix:///run/containerd/containerd.sock',
    'https://registry.example.com/v2/library/nginx/manifests/1.27?ns=docker.io',
]


@pytest.mark.parametrize('line', NOT_SECRETS)
def test_near_miss_is_kept(line):
    assert redact_url(line) == line
    assert redact_line(line) == line


def test_redaction_is_stable():
    once = redact_url(KUBEADM_FLAGS)
    assert redact_url(once) == once


@pytest.mark.parametrize('name,secret', [
    ('token', True), ('X-Amz-Signature', True), ('registry-password', True), ('accesstoken', True),
    ('api_key', True), ('sig', True), ('Authorization', True), ('Proxy-Authorization', True),
    ('token_file', False), ('image-credential-provider-config', False), ('monkey', False), ('keyboard', False),
    ('username', False), ('auth_type', False),
])
def test_secret_name(name, secret):
    assert secret_name(name) is secret


def test_reports_do_not_quote_a_token_in_a_query_string():
    # The reports render evidence as recorded: a finding's evidence is redacted when it is
    # collected (Findings.add), and the report redacts again what the play adds (rollback text).
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import Findings
    found = Findings()
    found.add('kubelet-config-unparsable', [KUBEADM_FLAGS], 'see ' + KUBEADM_FLAGS)
    host = {'host': 'n1', 'runtime': {'name': 'containerd'}, 'findings': found.result(),
            'notes': ['cri_shim: kept ' + KUBEADM_FLAGS]}
    files = render_all([host])
    blob = json.dumps(files)
    assert set(files) == {'n1.json', 'summary.md', 'junit.xml'}
    for secret in ('tok-SECRET-1', 'pw-SECRET-2'):
        assert secret not in blob
    assert '--image-credential-provider-config=/x?token=<redacted>' in files['summary.md']


@pytest.mark.parametrize('sentence', [
    'Give credentials: an imagePullSecret, or an Authorization header (pullfix_registry_mirrors.x.headers).',
    "('RestartSec 10' is neither a [Section] header nor Key=Value (expected a systemd unit file line))",
])
def test_own_sentences_are_not_redacted(sentence):
    # The collection's own advice is prose: redaction by shape would hide the advice itself.
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import redact_prose
    assert redact_prose(sentence) == sentence
    assert redact_url(sentence) != sentence  # the shape rules alone would hide it


@pytest.mark.parametrize('sentence, secret', [
    ('see ' + KUBEADM_FLAGS, 'pw-SECRET-2'),
    ('the unit sets API_KEY=abc123def in its environment', 'abc123def'),
    ('the file says password: "hunter2x"', 'hunter2x'),
    ('the file says token: hunter2x', 'hunter2x'),
    ('mirror https://user:pw-SECRET-3@mirror.example/v2 refused', 'pw-SECRET-3'),
])
def test_node_content_quoted_in_a_sentence_is_redacted(sentence, secret):
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.findings import Findings
    found = Findings()
    found.add('kubelet-config-unparsable', [], sentence)
    assert secret not in json.dumps(found.result())
