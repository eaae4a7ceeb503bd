# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The registries_conf planner and the containers-image merge it rests on, on real-world files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import parse
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import containers_image as facts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import registries_conf as rc
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import wanted

from pullfix_helpers import load, with_dir, with_file, with_runtime

plan_rc = with_runtime(rc.plan)

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus', 'registries-conf')
D = facts.DROPIN_DIR
OWNED = D + '/zz-kubenode-pullfix.conf'
CRIO = {'name': 'crio', 'version': '1.34.1', 'endpoint': 'unix:///var/run/crio/crio.sock'}
CONTAINERD = {'name': 'containerd', 'version': '1.7.24'}


def corpus(name):
    with open(os.path.join(CORPUS, name)) as f:
        return f.read()


def node(main=None, dropins=None, crio=None):
    """Evidence of a node holding these registries.conf layers (None: the file does not exist)."""
    ev = load()
    for path in [p for p in ev['files'] if p.startswith('/etc/containers/') or p.startswith('/etc/crio/')]:
        del ev['files'][path]
    if main is not None:
        with_file(ev, facts.MAIN, main, 'registries-conf')
    names = sorted(dropins or {})
    with_dir(ev, D, [{'name': n, 'type': 'file'} for n in names], why='registries-conf')
    for name in names:
        with_file(ev, D + '/' + name, dropins[name], 'registries-conf')
    for path, text in (crio or {}).items():
        with_file(ev, path, text, 'crio-config')
    return ev


def merged(*layers):
    """facts.merge over (path, text) layers, v1 converted as containers-image does for the main file."""
    parsed = []
    for path, text in layers:
        data, index = parse.load_toml(text)
        parsed.append((path, facts.v1_to_v2(data) if facts.file_format(data) == 'v1' else data, index))
    return facts.merge(parsed)


def value(eff, key):
    return (eff.get(key) or {}).get('value')


def changes_by_path(result):
    return dict((c['path'], c) for c in result['changes'])


def applied(ev, result):
    """The evidence as it would be after the changes (for idempotence)."""
    for c in result['changes']:
        if c['action'] == 'remove':
            del ev['files'][c['path']]
            continue
        with_file(ev, c['path'], c['content'], 'registries-conf')
        entries = ev['dirs'][D]['entries']
        name = c['path'].rsplit('/', 1)[1]
        if not any(e['name'] == name for e in entries):
            entries.append({'name': name, 'type': 'file'})
    return ev


# ------------------------------------------------------------------ the merge (facts.merge)

def test_merge_upstream_conf_d_testdata():
    """containers-image's own registries.conf.d test data: base, config-1, config-2 in order."""
    eff = merged(('/etc/containers/registries.conf', corpus('containers-image-testdata-base-for-registries.d.conf')),
                 (D + '/config-1.conf', corpus('containers-image-testdata-conf.d-config-1.conf')),
                 (D + '/config-2.conf', corpus('containers-image-testdata-conf.d-config-2.conf')))
    assert value(eff, 'unqualified-search-registries') == ['example-overwrite.com']
    assert eff['unqualified-search-registries']['path'] == D + '/config-1.conf'
    assert value(eff, 'credential-helpers') == ['dropin-1', 'dropin-2']
    assert value(eff, 'short-name-mode') == 'permissive'
    assert sorted(eff['registry']) == ['1.com', '2.com', 'base.com']
    # config-2's base.com entry replaces the main file's one whole: blocked, and no longer insecure
    assert eff['registry']['base.com']['value'] == {'location': 'base.com', 'blocked': True}
    assert eff['registry']['base.com']['path'] == D + '/config-2.conf'
    aliases = dict((k, v['value']) for k, v in eff['aliases'].items())
    assert aliases == {'docker': 'docker.io/library/config1', 'config1': 'config1.com/image',
                       'barz': 'barz.com/config2', 'config2': 'config2.com/image', 'added3': 'xxx.com/image'}


def test_merge_empty_list_overrides_and_absent_key_keeps():
    eff = merged((facts.MAIN, 'unqualified-search-registries = ["docker.io", "quay.io"]\n'),
                 (D + '/10-empty.conf', 'unqualified-search-registries = []\n'),
                 (D + '/20-other.conf', 'short-name-mode = "enforcing"\n'))
    assert value(eff, 'unqualified-search-registries') == []
    assert eff['unqualified-search-registries']['path'] == D + '/10-empty.conf'
    assert value(eff, 'short-name-mode') == 'enforcing'


def test_merge_empty_short_name_mode_keeps_earlier():
    eff = merged((facts.MAIN, 'short-name-mode = "disabled"\n'), (D + '/a.conf', 'short-name-mode = ""\n'))
    assert value(eff, 'short-name-mode') == 'disabled'


def test_merge_registry_by_prefix_replaces_whole_entry():
    eff = merged((D + '/a.conf', '[[registry]]\nprefix = "docker.io"\nlocation = "mirror.local"\n'
                                 '[[registry.mirror]]\nlocation = "m2.local"\n'),
                 (D + '/b.conf', '[[registry]]\nprefix = "docker.io/library"\nlocation = "lib.local"\n'),
                 (D + '/c.conf', '[[registry]]\nlocation = "docker.io"\nblocked = true\n'))
    assert eff['registry']['docker.io']['value'] == {'location': 'docker.io', 'blocked': True}
    assert eff['registry']['docker.io/library']['path'] == D + '/b.conf'


def test_merge_alias_empty_value_removes():
    eff = merged((facts.MAIN, '[aliases]\n"nginx" = "docker.io/library/nginx"\n'),
                 (D + '/x.conf', '[aliases]\n"nginx" = ""\n'))
    assert eff['aliases'] == {}


# (layers in read order, expected search list or None, the file that set it, expected short-name-mode)
LAYERED = [
    ([(facts.MAIN, 'unqualified-search-registries = ["a.io"]\n')], ['a.io'], facts.MAIN, None),
    ([(facts.MAIN, 'unqualified-search-registries = ["a.io"]\n'), (D + '/x.conf', 'short-name-mode = "enforcing"\n')],
     ['a.io'], facts.MAIN, 'enforcing'),
    ([(facts.MAIN, 'unqualified-search-registries = ["a.io"]\n'), (D + '/x.conf', 'unqualified-search-registries = ["b.io"]\n'),
      (D + '/y.conf', '[aliases]\n"n" = "c.io/n"\n')], ['b.io'], D + '/x.conf', None),
    ([(D + '/99-site.conf', 'unqualified-search-registries = ["docker.io"]\n'),
      (D + '/crio.conf', 'unqualified-search-registries = ["docker.io", "quay.io"]\n')],
     ['docker.io', 'quay.io'], D + '/crio.conf', None),
    ([(facts.MAIN, '[registries.search]\nregistries = ["v1.io"]\n'), (D + '/a.conf', 'short-name-mode = "disabled"\n')],
     ['v1.io'], facts.MAIN, 'disabled'),
    ([(facts.MAIN, corpus('containers-image-registries.conf')), (D + '/crio.conf', corpus('crio-packaging-conf.d-crio.conf'))],
     ['docker.io'], D + '/crio.conf', None),
    ([(facts.MAIN, corpus('debian12-registries.conf')),
      (D + '/shortnames.conf', corpus('debian12-registries.conf.d-shortnames.conf'))], None, None, None),
    ([(facts.MAIN, corpus('crio-test-registries.conf')), (D + '/z.conf', 'unqualified-search-registries = []\n')],
     [], D + '/z.conf', None),
    ([(facts.MAIN, 'short-name-mode = "enforcing"\n'), (D + '/a.conf', 'short-name-mode = "permissive"\n'),
      (D + '/b.conf', 'unqualified-search-registries = ["q.io"]\n')], ['q.io'], D + '/b.conf', 'permissive'),
]


@pytest.mark.parametrize('layers, search, origin, mode', LAYERED)
def test_merge_layered(layers, search, origin, mode):
    eff = merged(*layers)
    assert value(eff, 'unqualified-search-registries') == search
    assert (eff.get('unqualified-search-registries') or {}).get('path') == origin
    assert value(eff, 'short-name-mode') == mode


def test_lexical_order_puts_numbers_before_crio_conf():
    paths = [D + '/crio.conf', D + '/99-site.conf', facts.MAIN, D + '/README', D + '/Zeta.conf', D + '/sub/x.conf']
    assert facts.ordered_files(paths) == [facts.MAIN, D + '/99-site.conf', D + '/Zeta.conf', D + '/crio.conf']


def test_v1_conversion_keeps_every_setting():
    data = parse.load_toml(corpus('containers-image-testdata-v1-compatibility.conf'))[0]
    assert facts.file_format(data) == 'v1'
    v2 = facts.v1_to_v2(data)
    assert v2['unqualified-search-registries'] == ['registry-a.com////', 'registry-c.com', 'registry-d.com']
    regs = dict((r['prefix'], r) for r in v2['registry'])
    assert regs['registry-b.com'] == {'prefix': 'registry-b.com', 'location': 'registry-b.com', 'blocked': True,
                                      'insecure': True}
    assert regs['registry-a.com'].get('insecure') and not regs['registry-a.com'].get('blocked')
    assert set(regs) == set(['registry-a.com', 'registry-b.com', 'registry-d.com', 'registry-e.com'])


def test_formats_of_upstream_files():
    assert facts.file_format(parse.load_toml(corpus('containers-image-testdata-mixing-v1-v2.conf'))[0]) == 'mixed'
    assert facts.file_format(parse.load_toml(corpus('crio-packaging-conf.d-crio.conf'))[0]) == 'v2'
    assert facts.file_format(parse.load_toml(corpus('debian12-registries.conf'))[0]) == 'empty'
    assert facts.file_format({'registries': {'search': {}}}) == 'empty'   # no `registries` key: not set
    assert facts.file_format({'registries': {'search': {'registries': []}}}) == 'v1'


@pytest.mark.parametrize('name', sorted(os.listdir(CORPUS)))
def test_every_corpus_file_is_judged_without_a_traceback(name):
    text = corpus(name)
    data = parse.load_toml(text)[0]
    fmt = facts.file_format(data)
    assert fmt in ('v1', 'v2', 'mixed', 'empty')
    if fmt == 'v2':
        assert facts.file_problems(data) == [], name


# ------------------------------------------------------------------ the planner

def test_incident_crio_conf_beats_site_dropin_and_owned_dropin_wins():
    ev = node(main=corpus('debian12-registries.conf'),
              dropins={'shortnames.conf': corpus('debian12-registries.conf.d-shortnames.conf'),
                       '99-site.conf': 'unqualified-search-registries = ["docker.io"]\n',
                       'crio.conf': 'unqualified-search-registries = ["quay.io", "docker.io"]\n'})
    result = plan_rc(ev, CRIO, {'search_registries': ['docker.io']})
    assert result['errors'] == []
    c = changes_by_path(result)[OWNED]
    assert c['action'] == 'create' and c['restart'] == 'reload:crio' and c['mode'] == '0644'
    assert 'unqualified-search-registries = ["docker.io"]' in c['content']
    assert c['content'].startswith(rc.MARKER + '\n')
    assert 'before: unqualified-search-registries = [quay.io, docker.io] (from %s/crio.conf:1)' % D in result['notes']
    assert 'after: unqualified-search-registries = [docker.io] (from %s:3)' % OWNED in result['notes']
    # the vendor files are never touched
    assert list(changes_by_path(result)) == [OWNED]
    # a second run plans nothing
    again = plan_rc(applied(ev, result), CRIO, {'search_registries': ['docker.io']})
    assert again['changes'] == [] and again['errors'] == []
    assert 'effective: unqualified-search-registries = [docker.io] (from %s:3)' % OWNED in again['notes']


def test_owned_dropin_sorts_after_a_later_competitor():
    ev = node(dropins={'zzz-late.conf': 'unqualified-search-registries = ["quay.io"]\n',
                       '~odd.conf': 'short-name-mode = "disabled"\n'})   # sets no key we set: no competitor
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    (c,) = result['changes']
    assert c['path'] == D + '/zzzz-kubenode-pullfix.conf' and c['restart'] is None
    assert facts.sorts_after('zzzz-kubenode-pullfix.conf', ['zzz-late.conf', 'crio.conf'])


def test_renamed_owned_dropin_removes_the_old_one():
    old = rc.render({'unqualified-search-registries': ['docker.io']})
    ev = node(dropins={'zz-kubenode-pullfix.conf': old, 'zzz-late.conf': 'unqualified-search-registries = ["quay.io"]\n'})
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    assert sorted((c['action'], c['path']) for c in result['changes']) == [
        ('create', D + '/zzzz-kubenode-pullfix.conf'), ('remove', OWNED)]


def test_nothing_asked_removes_the_owned_dropin_and_reports_the_winner():
    ev = node(dropins={'zz-kubenode-pullfix.conf': rc.render({'unqualified-search-registries': ['docker.io']}),
                       'crio.conf': corpus('crio-packaging-conf.d-crio.conf')})
    result = plan_rc(ev, CRIO, {})
    assert [(c['action'], c['path'], c['restart']) for c in result['changes']] == [('remove', OWNED, 'reload:crio')]
    assert any(n.startswith('after: unqualified-search-registries = [docker.io] (from %s/crio.conf' % D)
               for n in result['notes'])


def test_competitor_beyond_any_name_is_an_error():
    ev = node(dropins={'~last.conf': 'unqualified-search-registries = ["quay.io"]\n'})
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    assert result['changes'] == []
    assert '~last.conf' in result['errors'][0] and 'Nothing written' in result['errors'][0]


def test_v1_dropin_is_converted_in_place_keeping_every_setting():
    v1 = corpus('containers-image-testdata-v1-compatibility.conf')
    ev = node(main=corpus('debian12-registries.conf'), dropins={'50-v1.conf': v1})
    result = plan_rc(ev, CONTAINERD, {})
    (c,) = result['changes']
    assert c['path'] == D + '/50-v1.conf' and c['action'] == 'update'
    data = parse.load_toml(c['content'])[0]
    assert facts.file_format(data) == 'v2' and facts.file_problems(data) == []
    assert data['unqualified-search-registries'] == ['registry-a.com////', 'registry-c.com', 'registry-d.com']
    assert {'prefix': 'registry-b.com', 'location': 'registry-b.com', 'insecure': True, 'blocked': True} in data['registry']
    assert all('# ' + line in c['content'] for line in v1.splitlines() if line)  # the old text kept as comments
    assert any('v1 drop-in' in n and 'refused' in n for n in result['notes'])
    assert plan_rc(applied(ev, result), CONTAINERD, {})['changes'] == []


def test_v1_main_file_reported_and_converted_only_when_asked():
    main = '[registries.search]\nregistries = ["docker.io", "quay.io"]\n\n[registries.insecure]\nregistries = ["localhost:5000"]\n'
    ev = node(main=main)
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    assert [c['path'] for c in result['changes']] == [OWNED]
    assert any('deprecated v1 format' in n and '%s:1' % facts.MAIN in n for n in result['notes'])
    assert 'before: unqualified-search-registries = [docker.io, quay.io] (from %s:2)' % facts.MAIN in result['notes']
    asked = plan_rc(ev, CONTAINERD, {'registries_conf_convert_v1': True})
    (c,) = asked['changes']
    data = parse.load_toml(c['content'])[0]
    assert data['unqualified-search-registries'] == ['docker.io', 'quay.io']
    assert data['registry'] == [{'prefix': 'localhost:5000', 'location': 'localhost:5000', 'insecure': True}]


def test_mixed_file_is_an_error_with_file_and_line():
    ev = node(dropins={'10-mixed.conf': corpus('containers-image-testdata-mixing-v1-v2.conf')})
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    assert result['changes'] == []
    (err,) = result['errors']
    assert '%s/10-mixed.conf' % D in err and 'mixing sysregistry v1/v2' in err
    assert ':%d' % parse.line_of(parse.load_toml(corpus('containers-image-testdata-mixing-v1-v2.conf'))[1],
                                 ('registries',)) in err


def test_malformed_toml_names_file_and_line_and_writes_nothing():
    ev = node(dropins={'20-bad.conf': 'unqualified-search-registries = ["docker.io"\nshort-name-mode = "x"\n'})
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    assert result['changes'] == []
    assert result['errors'][0].startswith('%s/20-bad.conf:2: not valid TOML' % D)


def test_a_file_containers_image_refuses_is_an_error():
    ev = node(main='unqualified-search-registries = ["https://docker.io"]\n')
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    assert result['changes'] == [] and '%s:1' % facts.MAIN in result['errors'][0]


def test_empty_list_override_is_reported_and_replaced():
    ev = node(main='unqualified-search-registries = ["docker.io"]\n', dropins={'50-none.conf': 'unqualified-search-registries = []\n'})
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io']})
    assert 'before: unqualified-search-registries = [] (from %s/50-none.conf:1)' % D in result['notes']
    assert [c['path'] for c in result['changes']] == [OWNED]


def test_mirrors_become_registry_tables_insecure_only_for_http():
    ev = node()
    mirrors = {'docker.io': {'endpoints': ['http://127.0.0.1:5001', 'https://mirror.example.com/docker']},
               'quay.io': {'endpoints': ['https://q.example.com'], 'fallback': False, 'skip_verify': True},
               '*': {'endpoints': ['http://10.0.0.5:5000']}}
    result = plan_rc(ev, CONTAINERD, {'registry_mirrors': mirrors, 'search_registries': ['docker.io']})
    (c,) = result['changes']
    data = parse.load_toml(c['content'])[0]
    regs = dict((r['prefix'], r) for r in data['registry'])
    assert regs['docker.io']['mirror'] == [{'location': '127.0.0.1:5001', 'insecure': True},
                                           {'location': 'mirror.example.com/docker'}]
    assert 'insecure' not in regs['quay.io'] and 'insecure' not in regs['quay.io']['mirror'][0]
    assert '*' not in regs
    notes = ' | '.join(result['notes'])
    assert 'catch-all' in notes and 'fallback false' in notes and 'skip_verify' in notes


def test_registry_entry_of_a_later_file_is_a_competitor():
    ev = node(dropins={'zzz-mirror.conf': '[[registry]]\nprefix = "docker.io"\nlocation = "other.local"\n'})
    result = plan_rc(ev, CONTAINERD, {'registry_mirrors': {'docker.io': {'endpoints': ['http://127.0.0.1:5001']}}})
    assert [c['path'] for c in result['changes']] == [D + '/zzzz-kubenode-pullfix.conf']


def test_blocking_registry_stays_and_is_reported():
    ev = node(dropins={'40-block.conf': '[[registry]]\nlocation = "quay.io"\nblocked = true\n'})
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io', 'quay.io']})
    assert [c['path'] for c in result['changes']] == [OWNED]
    assert result['effective']['after'][-1] == \
        '[[registry]] prefix quay.io = blocked=True, location=quay.io (from %s/40-block.conf:1)' % D


def test_aliases_written_and_compete_by_name():
    ev = node(dropins={'shortnames.conf': corpus('debian12-registries.conf.d-shortnames.conf')})
    result = plan_rc(ev, CONTAINERD, {'short_name_aliases': {'alpine': '127.0.0.1:5000/library/alpine'}})
    (c,) = result['changes']
    assert '[aliases]\n"alpine" = "127.0.0.1:5000/library/alpine"\n' in c['content']
    assert 'before: aliases.alpine = docker.io/library/alpine (from %s/shortnames.conf' % D in ' | '.join(result['notes'])


# ------------------------------------------------------------------ CRI-O short-name mode

def test_crio_134_default_enforcing_with_two_registries_is_said():
    ev = node(dropins={'crio.conf': corpus('crio-packaging-conf.d-crio.conf')})
    result = plan_rc(ev, CRIO, {'search_registries': ['docker.io', 'quay.io']})
    assert any('short names stay ambiguous' in n and 'default enforcing' in n for n in result['notes'])


def test_crio_134_configured_permissive_is_quiet():
    ev = node(crio={'/etc/crio/crio.conf.d/10-mode.conf': '[crio.image]\nshort_name_mode = "disabled"\n'})
    result = plan_rc(ev, CRIO, {'search_registries': ['docker.io', 'quay.io']})
    assert not any('ambiguous' in n for n in result['notes'])


def test_crio_133_resolves_disabled_whatever_registries_conf_says():
    ev = node(main='short-name-mode = "enforcing"\n')
    result = plan_rc(ev, dict(CRIO, version='1.33.2'), {'search_registries': ['docker.io', 'quay.io']})
    assert not any('ambiguous' in n for n in result['notes'])


def test_crio_mode_from_its_own_config_on_134_is_named_when_user_sets_registries_mode():
    ev = node(crio={'/etc/crio/crio.conf': '[crio.image]\nshort_name_mode = "enforcing"\n'})
    result = plan_rc(ev, CRIO, {'search_registries': ['docker.io', 'quay.io'], 'short_name_mode': 'permissive'})
    notes = ' | '.join(result['notes'])
    assert 'its own [crio.image] short_name_mode ([crio.image] short_name_mode = "enforcing")' in notes
    assert 'short names stay ambiguous' in notes


def test_podman_enforcing_from_registries_conf_is_said():
    ev = node(main='short-name-mode = "enforcing"\n')
    result = plan_rc(ev, CONTAINERD, {'search_registries': ['docker.io', 'quay.io']})
    assert any('short names stay ambiguous' in n for n in result['notes'])


# ------------------------------------------------------------------ bad settings, and which roles run

@pytest.mark.parametrize('settings, key', [
    ({'search_registries': ['https://docker.io']}, 'pullfix_search_registries[0]'),
    ({'search_registries': ['docker.io', 'bad host']}, 'pullfix_search_registries[1]'),
    ({'search_registries': ['docker.io', 'docker.io']}, 'pullfix_search_registries'),
    ({'search_registries': 'docker.io'}, 'pullfix_search_registries'),
    ({'short_name_mode': 'prompt'}, 'pullfix_short_name_mode'),
    ({'short_name_aliases': {'docker.io/nginx': 'docker.io/library/nginx'}}, "pullfix_short_name_aliases['docker.io/nginx']"),
    ({'short_name_aliases': {'nginx': 'nginx'}}, "pullfix_short_name_aliases['nginx']"),
    ({'short_name_aliases': {'nginx': 'docker.io/library/nginx:1'}}, "pullfix_short_name_aliases['nginx']"),
    ({'registries_conf_convert_v1': 'yes'}, 'pullfix_registries_conf_convert_v1'),
    ({'registry_mirrors': {'docker.io': {'endpoints': ['ftp://x']}}}, 'pullfix_registry_mirrors'),
])
def test_bad_settings_fail_before_anything_naming_the_key(settings, key):
    with pytest.raises(PlanError) as exc:
        plan_rc(node(), CONTAINERD, settings)
    assert str(exc.value).startswith(key)


def test_findings_and_settings_ask_for_the_role():
    diag = {'findings': [{'id': 'registries-conf-v1-dropin', 'severity': 'error',
                          'remediation': 'kubenode.pullfix.registries_conf'}]}
    assert wanted(diag, {}) == [('registries_conf', 'finding registries-conf-v1-dropin')]
    assert wanted({}, {'search_registries': ['docker.io']}) == [('registries_conf', 'pullfix_search_registries is set')]
    assert wanted({}, {'search_registries': []}) == []


def test_an_info_finding_starts_no_remediation():
    """search-registries-effective (info) only reports the search order; a warning a role fixes starts it."""
    info = {'id': 'search-registries-effective', 'severity': 'info', 'remediation': 'kubenode.pullfix.registries_conf'}
    assert wanted({'findings': [info]}, {}) == []
    warning = dict(info, id='some-risk', severity='warning')
    assert wanted({'findings': [info, warning]}, {}) == [('registries_conf', 'finding some-risk')]


def test_owned_dropin_reason_names_the_files_it_overrides():
    ev = node(dropins={'99-site.conf': 'unqualified-search-registries = ["docker.io"]\n',
                       'crio.conf': 'unqualified-search-registries = ["quay.io", "docker.io"]\n',
                       'shortnames.conf': corpus('debian12-registries.conf.d-shortnames.conf')})
    (c,) = plan_rc(ev, CRIO, {'search_registries': ['docker.io']})['changes']
    assert c['reason'].endswith('(%s/99-site.conf, %s/crio.conf)' % (D, D))


@pytest.mark.parametrize('text, words', [
    ('[registries.search]\nregistries = "quay.io"\n', '[registries.search] registries must be an array of strings'),
    ('[registries.insecure]\nregistries = ["https://quay.io"]\n', 'URI schemes are not supported'),
    ('[registries.search]\nregistries = ["not a host"]\n', 'is not a host[:port]'),
])
def test_v1_file_containers_image_refuses_is_not_converted(text, words):
    ev = node(dropins={'50-v1.conf': text})
    result = plan_rc(ev, CONTAINERD, {})
    assert result['changes'] == []
    assert result['errors'][0].startswith('%s/50-v1.conf:' % D) and words in result['errors'][0]


def test_containerd_mirrors_alone_write_no_containers_image_dropin():
    """A containerd node (kubespray's config.toml, no registries.conf, no CRI-O) whose user set only
    pullfix_registry_mirrors: the pipeline does not choose registries_conf, and registries_conf, asked
    for by name, writes no drop-in marking docker.io's http mirror insecure (it says why instead)."""
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.pipeline import ansible_input, remediation
    from pullfix_helpers import run
    ev = node()
    with open(os.path.join(CORPUS, '..', 'containerd-config', 'kubespray-v2-config-path.toml')) as f:
        with_file(ev, '/etc/containerd/config.toml', f.read(), 'containerd-config')
    settings = {'registry_mirrors': {'docker.io': {'endpoints': ['http://10.0.0.5:5000']}}}
    diagnosis = run(ev, settings)
    args = ansible_input({'roles': ['auto'], 'evidence': ev, 'diagnosis': diagnosis, 'settings': settings,
                          'fail_on_errors': True, 'only': None})
    result, apply_args, _owed = remediation(args)
    assert 'registries_conf' not in result['roles']
    assert not [c for c in (apply_args or {}).get('changes') or () if c['path'].startswith('/etc/containers/')]
    asked = plan_rc(ev, CONTAINERD, settings)
    assert asked['changes'] == []
    assert any('not written to %s' % D in n for n in asked['notes'])


def test_containerd_mirrors_go_to_containers_image_where_podman_reads_them():
    ev = node(main=corpus('debian12-registries.conf'))
    result = plan_rc(ev, CONTAINERD, {'registry_mirrors': {'docker.io': {'endpoints': ['http://10.0.0.5:5000']}}})
    assert [c['path'] for c in result['changes']] == [OWNED]
