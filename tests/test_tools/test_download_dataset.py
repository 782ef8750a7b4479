"""tools/misc/download_dataset.py against tiny archives served from
127.0.0.1 (nothing leaves the machine)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from pycocotools.coco import COCO

from tests.test_tools.test_dataset_converters.tiny_sources import (
    make_coco128_seg, make_pennfudan, zip_tree)
from tests.tool_loader import load_tool

dl = load_tool('tools/misc/download_dataset.py')

TINY_COUNTS = {
    'pennfudan': [('pennfudan/annotations_all.json', 6, 9),
                  ('pennfudan/annotations_train.json', 4, 6),
                  ('pennfudan/annotations_val.json', 2, 3)],
    'coco128': [('coco128/annotations.json', 2, 3)],
}


class _Handler(BaseHTTPRequestHandler):
    """Serves ``files`` (URL path -> bytes) with HTTP Range support; logs
    every GET's path and Range header; a path in ``short`` gets half of
    what its Content-Length announces."""
    files, requests, short = {}, [], set()

    def do_GET(self):
        data = self.files.get(self.path)
        rng = self.headers.get('Range')
        self.requests.append((self.path, rng))
        if data is None:
            self.send_error(404)
            return
        start = int(rng.split('=')[1].split('-')[0]) if rng else 0
        if rng:
            self.send_response(206)
            self.send_header('Content-Range',
                             f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2]
                         if self.path in self.short else body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A local server with the tiny pennfudan and coco128 archives at the
    paths of their real addresses; yields (mirror URL, handler class)."""
    src = tmp_path / 'src'
    archives = {
        'pennfudan': zip_tree(make_pennfudan(src), str(tmp_path / 'p.zip')),
        'coco128': zip_tree(make_coco128_seg(src), str(tmp_path / 'c.zip')),
    }
    handler = type('Handler', (_Handler, ), {
        'files': {},
        'requests': [],
        'short': set()
    })
    for name, path in archives.items():
        url = dl.DATASETS[name]['archives'][0].url
        with open(path, 'rb') as f:
            handler.files[urlsplit(url).path] = f.read()
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_port}', handler
    httpd.shutdown()
    httpd.server_close()


def _path(name):
    return urlsplit(dl.DATASETS[name]['archives'][0].url).path


def test_full_run_layout_counts_and_second_run_skips(server, tmp_path,
                                                     monkeypatch, capsys):
    mirror, handler = server
    monkeypatch.setattr(dl, 'EXPECTED', TINY_COUNTS)
    save = tmp_path / 'data'
    argv = [
        '--dataset-name', 'pennfudan', 'coco128', '--save-dir',
        str(save), '--unzip', '--mirror', mirror
    ]
    dl.main(argv)
    assert sorted(p for p, _ in handler.requests) == sorted(
        [_path('pennfudan'), _path('coco128')])
    coco = COCO(str(save / 'pennfudan' / 'annotations_all.json'))
    assert len(coco.getImgIds()) == 6 and len(coco.getAnnIds()) == 9
    ann = coco.loadAnns(coco.getAnnIds(imgIds=[1]))[0]
    assert (ann['bbox'], ann['area']) == ([1, 2, 4, 20], 80)
    assert coco.annToMask(ann).sum() == 80
    assert (save / 'pennfudan' / 'images' / 'FudanPed00001.jpg').is_file()
    data = json.loads((save / 'coco128' / 'annotations.json').read_text())
    assert [im['file_name'] for im in data['images']] == [
        'images/a.jpg', 'images/b.jpg'
    ]
    out = capsys.readouterr().out
    assert 'pennfudan: downloading http://127.0.0.1' in out
    assert 'annotations_val.json: 2 images, 3 instances, as expected' in out

    handler.requests.clear()
    dl.main(argv)
    assert handler.requests == []  # nothing fetched again
    out = capsys.readouterr().out
    assert 'PennFudanPed.zip is there, not downloading it again' in out
    assert 'PennFudanPed.zip is unpacked already' in out
    assert f'pennfudan: {save}/pennfudan converted already' in out


def test_size_mismatch_then_resume_with_range(server, tmp_path, monkeypatch):
    mirror, handler = server
    handler.short.add(_path('pennfudan'))
    save = tmp_path / 'data'
    argv = [
        '--dataset-name', 'pennfudan', '--save-dir',
        str(save), '--mirror', mirror
    ]
    size = len(handler.files[_path('pennfudan')])
    with pytest.raises(SystemExit) as e:
        dl.main(argv)
    msg = str(e.value.code)
    assert msg == (f'error: pennfudan: PennFudanPed.zip: got {size // 2} '
                   f'bytes, the server announced {size} (Content-Length); '
                   'run again to resume '
                   f'{save}/downloads/pennfudan/PennFudanPed.zip.part')
    part = save / 'downloads' / 'pennfudan' / 'PennFudanPed.zip.part'
    assert part.stat().st_size == size // 2

    handler.short.clear()
    handler.requests.clear()
    dl.main(argv)
    assert handler.requests == [(_path('pennfudan'),
                                 f'bytes={size // 2}-')]
    final = save / 'downloads' / 'pennfudan' / 'PennFudanPed.zip'
    assert not part.exists()
    assert final.read_bytes() == handler.files[_path('pennfudan')]


def test_count_mismatch_is_one_line_error(server, tmp_path):
    mirror, _ = server
    save = tmp_path / 'data'
    with pytest.raises(SystemExit) as e:
        dl.main([
            '--dataset-name', 'pennfudan', '--save-dir',
            str(save), '--unzip', '--mirror', mirror
        ])
    assert str(e.value.code) == (
        f'error: pennfudan: {save}/pennfudan/annotations_all.json has '
        '6 images / 9 instances, expected 170 / 423')


def test_md5_mismatch_removes_the_file(server, tmp_path, monkeypatch):
    mirror, handler = server
    archive = dl.DATASETS['pennfudan']['archives'][0]
    monkeypatch.setitem(dl.DATASETS['pennfudan'], 'archives',
                        [archive._replace(md5='0' * 32)])
    save = tmp_path / 'data'
    with pytest.raises(SystemExit, match=r'^error: pennfudan: '
                       r'PennFudanPed\.zip: md5 [0-9a-f]{32}, published 0+;'):
        dl.main([
            '--dataset-name', 'pennfudan', '--save-dir',
            str(save), '--mirror', mirror
        ])
    # neither the bad file nor its .part stays behind
    assert list((save / 'downloads' / 'pennfudan').iterdir()) == []


def test_mirror_replaces_scheme_and_host_only():
    url = dl.DATASETS['pennfudan']['archives'][0].url
    assert dl.mirrored(url, 'http://127.0.0.1:8000/') == \
        'http://127.0.0.1:8000/~jshi/ped_html/PennFudanPed.zip'
    assert dl.mirrored(url, None) == url


def test_help_lists_every_data_set(capsys):
    with pytest.raises(SystemExit):
        dl.parse_args(['--help'])
    out = capsys.readouterr().out
    for name in dl.DATASETS:
        assert f'  {name} ' in out


def test_sod204_two_archives_into_the_config_layout(tmp_path, monkeypatch):
    """sod204 = BSDS300's photos (a .tgz) + the SOD masks of a GitHub
    commit archive (``<repo>-<commit>/tools/GroundTruth/SOD``): both
    fetched, unpacked and paired; only the team copy's ids are kept."""
    import io
    import tarfile
    import zipfile

    import numpy as np
    from PIL import Image

    def png(arr):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format='PNG')
        return buf.getvalue()

    def jpg(arr):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format='JPEG')
        return buf.getvalue()

    ids = ['100075', '2092', '12003']  # 12003 is not in the team copy
    photo = np.full((30, 40, 3), 120, np.uint8)
    mask = np.zeros((30, 40), np.uint8)
    mask[5:20, 10:30] = 255
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode='w:gz') as tar:
        for i in ids:
            data = jpg(photo)
            info = tarfile.TarInfo(f'BSDS300/images/train/{i}.jpg')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    top = ('sal_eval_toolbox-c4e3a58e0ddb40629253714515e94c69dcae6436/'
           'tools/GroundTruth/SOD/')
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, 'w') as z:
        for i in ids:
            z.writestr(top + f'{i}.png', png(mask))
    handler = type('Handler', (_Handler, ), {
        'files': {},
        'requests': [],
        'short': set()
    })
    bsds, sod = dl.DATASETS['sod204']['archives']
    handler.files[urlsplit(bsds.url).path] = tgz.getvalue()
    handler.files[urlsplit(sod.url).path] = zbuf.getvalue()
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(dl, 'EXPECTED', {
            'sod204': [('sod204/images/*.jpg', 2, None),
                       ('sod204/masks/*.png', 2, None)]
        })
        save = tmp_path / 'data'
        dl.main([
            '--dataset-name', 'sod204', '--save-dir',
            str(save), '--unzip', '--mirror',
            f'http://127.0.0.1:{httpd.server_port}'
        ])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert sorted(p.name for p in (save / 'sod204' / 'images').iterdir()) \
        == ['100075.jpg', '2092.jpg']
    out = np.array(Image.open(save / 'sod204' / 'masks' / '2092.png'))
    assert out.shape == (30, 40) and set(np.unique(out)) == {0, 255}
    assert (out == 255).sum() == 15 * 20
