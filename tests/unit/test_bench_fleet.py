"""The fleet benchmark's own arithmetic and command lines (tests/bench/bench_fleet.py): each
steady figure is timed against the right ping, the default batches and the pipelined steady
state are measured, and the targets of the fleet work are the ones checked."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bench():
    spec = importlib.util.spec_from_file_location('bench_fleet', os.path.join(ROOT, 'tests', 'bench', 'bench_fleet.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_runs(b, walls, cpu=2.0):
    return {step: [{'wall_s': walls[step], 'cpu_s': cpu, 'tasks': [('t', 1.0)]}] * 3 for step in b.STEPS}


def test_batches_and_pipelining_are_measured():
    b = bench()
    batches = b.step_argv('steady_batches', 'inv', 'vars', 10)
    assert not [a for a in batches if a.startswith('pullfix_serial')]
    assert 'pullfix_serial=100%' in b.step_argv('steady', 'inv', 'vars', 10)
    assert b.step_env('steady_pipelined', {})['ANSIBLE_PIPELINING'] == 'true'
    assert b.step_env('ping_pipelined', {})['ANSIBLE_PIPELINING'] == 'true'
    assert b.step_env('steady', {})['ANSIBLE_PIPELINING'] == 'false'
    assert b.baseline('steady_pipelined') == 'ping_pipelined' and b.baseline('fix') == 'ping'


def test_ratios_and_targets():
    b = bench()
    walls = {'ping': 10.0, 'ping_pipelined': 5.0, 'diagnose': 12.0, 'fix': 40.0, 'steady': 12.0,
             'steady_batches': 13.5, 'steady_pipelined': 6.0}
    size = b.summarize_size(10, 10, fake_runs(b, walls))
    assert size['median']['steady_pipelined']['ratio_to_ping'] == 1.2  # against the pipelined ping
    assert size['median']['steady']['ratio_to_ping'] == 1.2
    assert size['median']['steady']['cpu_s_per_host'] == 0.2
    targets, _growth = b.verdicts({'10': size})
    met = {t['target'].split(' at N=')[0]: t['met'] for t in targets}
    assert met['fix_pull.yml, steady state <= 1.3x ping'] is True
    assert met['fix_pull.yml, fixing run <= 4.5x ping'] is True
    assert met['fix_pull.yml, steady, default batches within 10% of one batch'] is False  # 12.5 % slower
    assert met['fix_pull.yml, steady state: controller CPU per host <= 0.4 s'] is True


def test_a_steady_run_that_changes_something_does_not_count():
    b = bench()
    text = 'PLAY RECAP\nn1 : ok=3    changed=1    unreachable=0    failed=0    skipped=1\n'
    for step in ('steady', 'steady_batches', 'steady_pipelined', 'settle'):
        try:
            b.check(step, {'rc': 0, 'text': text, 'log': 'x'}, ['n1'])
        except b.BenchError:
            continue
        raise AssertionError('%s accepted a change' % step)


def test_the_page_lists_every_step_and_target():
    b = bench()
    walls = {'ping': 10.0, 'ping_pipelined': 5.0, 'diagnose': 12.0, 'fix': 40.0, 'steady': 12.0,
             'steady_batches': 12.5, 'steady_pipelined': 6.0}
    size = b.summarize_size(10, 10, fake_runs(b, walls))
    targets, growth = b.verdicts({'10': size})
    results = {'machine': {'nproc': 2, 'ansible_core': '2.19', 'python': '3.11', 'docker': '20'}, 'date': 'd',
               'loadavg_start': '1', 'command': 'python tests/bench/bench_fleet.py', 'sizes': {'10': size},
               'targets': targets, 'growth': growth,
               'settings': {'images': ['i'], 'incidents': [['a']], 'repeats': 3, 'forks': 0}}
    page = b.render_doc(results)
    for step in b.STEPS:
        assert '| 10 | %s |' % b.STEP_TITLES[step] in page
    assert 'within 10% of one batch' in page and 'settling run' in page
