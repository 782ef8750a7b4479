"""tools/analysis_tools/benchmark_proxy.py on a tiny set: the table, the
model-only vs converter ratio, the 1-vs-2-process ratio and the network's
own 1-vs-2-process ceiling are printed, and --cfg-options reach the
segmentor of both measures."""
import json
import os
import re

from tests.test_proxy.proxy_data import make_dataset
from tests.tool_loader import load_tool

TOOL = 'tools/analysis_tools/benchmark_proxy.py'


def test_subset_json_keeps_the_first_images(tmp_path):
    tool = load_tool(TOOL)
    ann, _ = make_dataset(tmp_path)
    out = tmp_path / 'sub.json'
    # base_coco: image 1 has 3 annotations, one of them crowd
    assert tool.subset_json(str(ann), 1, str(out)) == 2
    sub = json.loads(out.read_text())
    assert [i['id'] for i in sub['images']] == [1]
    assert sorted(a['id'] for a in sub['annotations']) == [3, 5, 7]


def _assert_ratio_of_printed(num, den, ratio):
    """All three are printed rounded (rates to 0.1, the ratio to 0.01): the
    ratio must lie in the range the rounded rates allow, give or take its
    own rounding (a relative tolerance fails on a tiny set's small ratios)."""
    lo = max(num - 0.05, 0) / (den + 0.05)
    hi = (num + 0.05) / max(den - 0.05, 1e-9)
    assert lo - 0.005 <= ratio <= hi + 0.005, (num, den, ratio)


def test_prints_both_ratios(tmp_path, tiny_boxcaseg, capsys, monkeypatch):
    tool = load_tool(TOOL)
    ann, imgs = make_dataset(tmp_path)
    cfg, ckpt = tiny_boxcaseg
    seen = []
    real_model_only = tool.model_only

    def model_only(args, sub):
        seen.append(args.cfg_options)
        return real_model_only(args, sub)

    monkeypatch.setattr(tool, 'model_only', model_only)
    work = tmp_path / 'work'
    assert tool.main([
        '--ann-file', str(ann), '--img-root', str(imgs), '--config', cfg,
        '--checkpoint', ckpt, '--procs', '1', '2', '--work-dir', str(work),
        '--cfg-options', 'model.test_cfg.max_crops=2'
    ]) == 0
    out = capsys.readouterr().out
    assert seen == [{'model.test_cfg.max_crops': 2}]
    assert "{'model.test_cfg.max_crops': 2}" in out
    # 5 non-crowd boxes in the 3 images; one row per generator and procs
    for gen in ('boxfill', 'boxcaseg'):
        for procs in (1, 2):
            assert re.search(rf'\| {gen} +\| {procs} +\| 5 +\|', out), out
    ratio = re.search(r'boxcaseg: model only ([\d.]+) instances/s, whole '
                      r'converter ([\d.]+) instances/s \(1 process, '
                      r'steady\): ratio ([\d.]+)', out)
    assert ratio, out
    alone, conv, r = map(float, ratio.groups())
    assert alone > 0 and conv > 0
    _assert_ratio_of_printed(conv, alone, r)
    for gen in ('boxfill', 'boxcaseg'):
        line = re.search(
            rf'{gen}: 2 processes / 1: steady [\d.]+ .*CPU ms per instance '
            r'([\d.]+) -> ([\d.]+), 1 process kept ([\d.]+) cores busy', out)
        assert line, out
        # every run costs CPU; a run's threads cannot keep more than this
        # machine's cores busy
        cpu1, cpu2, busy = map(float, line.groups())
        assert cpu1 > 0 and cpu2 > 0
        assert 0 < busy <= os.cpu_count() + 0.05
    # the network alone in 1 and in 2 processes released together
    ceiling = re.search(r'model only, started together: 1 process ([\d.]+) '
                        r'instances/s, 2 processes ([\d.]+): ([\d.]+)x', out)
    assert ceiling, out
    one, two, x = map(float, ceiling.groups())
    assert one > 0 and two > 0
    _assert_ratio_of_printed(two, one, x)
    # the converter's outputs, for 1 and 2 processes, are the same masks
    one = json.loads((work / 'boxcaseg_p1.json').read_text())
    two = json.loads((work / 'boxcaseg_p2.json').read_text())
    assert {a['id']: a['segmentation'] for a in one['annotations']} == \
        {a['id']: a['segmentation'] for a in two['annotations']}


def test_cpu_seconds_count_this_process_and_its_children():
    tool = load_tool(TOOL)
    import subprocess
    import sys
    import time
    before = tool._cpu_seconds()
    end = time.process_time() + 0.2
    while time.process_time() < end:  # 0.2 s of this process's CPU
        pass
    mid = tool._cpu_seconds()
    assert mid - before >= 0.19
    # a child's 0.3 s count once it is waited for
    subprocess.run([
        sys.executable, '-c', 'import time\nend = time.process_time() + 0.3'
        '\nwhile time.process_time() < end: pass'
    ], check=True)
    assert tool._cpu_seconds() - mid >= 0.29


def test_post_threads_reach_the_converter(tmp_path, monkeypatch):
    tool = load_tool(TOOL)
    import mmboxcaseg.proxy as proxy
    seen = []

    def fake(opts):
        seen.append(opts.post_threads)
        return dict(processed=4, timing=dict(processing_instances_per_s=1.0))

    monkeypatch.setattr(proxy, 'generate_proxy_masks', fake)
    args = tool.parse_args(['--ann-file', 'a.json', '--img-root', 'i',
                            '--post-threads', '0'])
    r = tool.converter(args, 'a.json', 'boxfill', 1, str(tmp_path))
    assert seen == [0]
    assert r['instances'] == 4 and r['cpu_ms'] >= 0 and r['wall'] > 0
    assert r['cores'] >= 0
