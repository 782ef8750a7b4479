import json

import pytest

from mmboxcaseg.proxy import ProxyInputError
from mmboxcaseg.proxy.part_file import PartWriter, iter_records, scan_part

HEADER = {'format': 'x', 'drop_thr': 0.95, 'rank': 0, 'world': 1}


def _rec(i):
    return {
        'id': i,
        'segmentation': {
            'size': [1, 1],
            'counts': '1'
        },
        'proxy_agreement': 1.0,
        'mask_ignored': False
    }


def test_scan_stops_at_last_complete_image(tmp_path):
    path = tmp_path / 'p.jsonl'
    w = PartWriter(str(path), HEADER, resume=False)
    w.write_image(1, [_rec(10), _rec(11)], {'grabcut_fallback': 1})
    w.write_image(2, [_rec(12)])
    w.close()
    full = path.read_bytes()
    with open(path, 'ab') as f:  # image 3: one complete line, no closing
        f.write((json.dumps(_rec(13)) + '\n').encode() + b'{"id": 14, "se')
    state = scan_part(str(path))
    assert state.header == HEADER and state.images == [1, 2]
    assert state.commit_offset == len(full) and not state.done
    assert state.stats == {'grabcut_fallback': 1}
    assert [r['id'] for _, r in iter_records(str(path), state)] == [10, 11, 12]
    # resuming cuts the file back to the last complete image
    w = PartWriter(str(path), HEADER, resume=True)
    assert w.done_images == [1, 2]
    w.write_image(3, [_rec(13)])
    w.finish()
    state = scan_part(str(path))
    assert state.done and state.images == [1, 2, 3]
    assert path.read_bytes().startswith(full)
    assert path.read_bytes().count(b'"id":13') == 1


def test_resume_with_other_header_is_refused(tmp_path):
    path = tmp_path / 'p.jsonl'
    PartWriter(str(path), HEADER, resume=False).close()
    with pytest.raises(ProxyInputError, match='drop_thr'):
        PartWriter(str(path), dict(HEADER, drop_thr=0.5), resume=True)
    # without resume the file starts afresh
    w = PartWriter(str(path), dict(HEADER, drop_thr=0.5), resume=False)
    w.close()
    assert scan_part(str(path)).header['drop_thr'] == 0.5


def test_garbage_file_resumes_from_scratch(tmp_path):
    path = tmp_path / 'p.jsonl'
    path.write_bytes(b'garbage\n')
    w = PartWriter(str(path), HEADER, resume=True)
    assert w.done_images == []
    w.finish()
    assert scan_part(str(path)).header == HEADER
