"""Per-shard part files: JSONL results appended per image, resumable.

A part file is written by one shard (rank ``r`` of ``W``) and holds, line by
line::

    {"header": {...}}                      # what produced it (see run.py)
    {"id": 7, "segmentation": ..., ...}    # one line per annotation
    {"image": 3, "idx": 5, "n": 2}         # image 3 (data set index 5) is
    ...                                    # complete, with its 2 lines
    {"done": 118}                          # the shard finished 118 images

Lines of an image are written with one ``write`` and flushed. After a kill,
:func:`scan_part` finds the last complete image (ignoring a truncated last
line or an image without its closing line) and :class:`PartWriter` cuts the
file there and appends; :class:`~mmboxcaseg.proxy.ProxyShardSampler`
starts after the last complete image. A box's mask does not depend on the
other images of its batch (:meth:`BoxCaseg.predict`), so a resumed shard
writes exactly the lines an uninterrupted one would.

A writer holds an exclusive ``flock`` on its part file while it runs: a
second run on the same output stops with an error instead of cutting the
first run's file.
"""
import fcntl
import glob
import json
import os
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple

from .options import ProxyInputError, writing


def dumps(obj) -> str:
    """The one json encoding used for part lines and the output."""
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=True)


def part_path(parts_dir: str, rank: int, world: int) -> str:
    return osp.join(parts_dir, f'part-{rank:05d}-of-{world:05d}.jsonl')


@dataclass
class PartState:
    """What a part file holds up to its last complete image."""
    header: Optional[dict] = None
    images: List = field(default_factory=list)  # committed image ids
    last_idx: int = -1  # data set index of the last committed image
    commit_offset: int = 0  # bytes up to the last complete image
    done: bool = False
    stats: Counter = field(default_factory=Counter)  # generator events
    size: int = 0  # file size (bytes after commit_offset are discarded)


def scan_part(path: str) -> PartState:
    """Read a part file up to its last complete image."""
    state = PartState()
    pos = 0
    with open(path, 'rb') as f:
        for raw in f:
            end = pos + len(raw)
            if not raw.endswith(b'\n'):
                break  # truncated last line
            try:
                obj = json.loads(raw)
            except ValueError:
                break
            if not isinstance(obj, dict):
                break
            if state.header is None:
                if not isinstance(obj.get('header'), dict):
                    break
                state.header = obj['header']
                state.commit_offset = end
            elif 'image' in obj:
                state.images.append(obj['image'])
                state.last_idx = int(obj.get('idx', state.last_idx))
                state.stats.update(obj.get('stats', {}))
                state.commit_offset = end
            elif 'done' in obj:
                state.done = True
                state.commit_offset = end
                break
            pos = end
        f.seek(0, os.SEEK_END)
        state.size = f.tell()
    return state


def iter_records(path: str, state: PartState) -> Iterator[Tuple[int, dict]]:
    """Yield ``(offset, record)`` of the annotation lines before
    ``state.commit_offset``."""
    pos = 0
    with open(path, 'rb') as f:
        for raw in f:
            if pos >= state.commit_offset:
                break
            obj = json.loads(raw)
            if 'id' in obj and 'segmentation' in obj:
                yield pos, obj
            pos += len(raw)


def header_mismatch(found: dict, expected: dict) -> List[str]:
    """Keys whose values differ between two headers."""
    keys = sorted(set(found) | set(expected))
    return [k for k in keys if found.get(k) != expected.get(k)]


class PartWriter:
    """Append the results of one shard, image by image.

    Args:
        path (str): the part file.
        header (dict): identifies the run; a resumed file must carry the
            same header.
        resume (bool): continue an existing file (else start afresh).
    """

    def __init__(self, path: str, header: dict, resume: bool) -> None:
        self.path = path
        self.state = PartState(header=header)
        self._lock = open(path + '.lock', 'a')
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            raise ProxyInputError(
                f'{path} is being written by another run; wait for it to '
                'end (or stop it) before starting this one') from None
        if resume and osp.isfile(path):
            state = scan_part(path)
            if state.header is None:
                state = PartState()  # nothing usable: start again
            else:
                diff = header_mismatch(state.header, header)
                if diff:
                    raise ProxyInputError(
                        f'cannot resume from {path}: it was written with '
                        'different ' +
                        ', '.join(f'{k} ({state.header.get(k)!r}, now '
                                  f'{header.get(k)!r})' for k in diff) +
                        '; run without --resume to start afresh')
            self.state = state
        if self.state.header is None or not resume or not osp.isfile(path):
            self.state = PartState(header=header)
            self._f = open(path, 'wb')
            with writing(path):
                self._f.write((dumps({'header': header}) + '\n').encode())
                self._f.flush()
            self.state.commit_offset = self._f.tell()
        else:
            self._f = open(path, 'r+b')
            self._f.truncate(self.state.commit_offset)
            self._f.seek(self.state.commit_offset)

    @property
    def done_images(self) -> List:
        """Ids of the images already complete in the file."""
        return self.state.images

    def write_image(self,
                    image_id,
                    records: List[dict],
                    stats: Optional[dict] = None,
                    idx: Optional[int] = None) -> None:
        """Append the records of one image and its closing line, flushed.

        ``stats`` (event counts of this image, e.g. ``grabcut_fallback``)
        and ``idx`` (its data set index) go on the closing line.
        """
        lines = [dumps(r) for r in records]
        close = {'image': image_id, 'n': len(records)}
        if idx is not None:
            close['idx'] = int(idx)
            self.state.last_idx = int(idx)
        if stats:
            close['stats'] = {k: int(v) for k, v in sorted(stats.items())}
        lines.append(dumps(close))
        with writing(self.path):
            self._f.write(('\n'.join(lines) + '\n').encode())
            self._f.flush()
        self.state.images.append(image_id)

    def finish(self) -> None:
        """Mark the shard complete and close the file."""
        with writing(self.path):
            if not self.state.done:
                self._f.write(
                    (dumps({'done': len(self.state.images)}) + '\n').encode())
                self.state.done = True
            self._f.flush()
            os.fsync(self._f.fileno())
        self.close()

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            self._f.close()
        if not self._lock.closed:
            self._lock.close()  # the lock file goes with the parts folder


def remove_parts(parts_dir: str,
                 keep_dir: bool = False,
                 keep_world: Optional[int] = None) -> None:
    """Delete what a run keeps in its part folder (parts, their locks,
    timings, the run's log folders), then the folder unless ``keep_dir``.
    ``keep_world`` spares the parts of a run with that many ranks."""
    import shutil
    for pattern in ('part-*-of-*.jsonl', 'timing-*.json', 'error-*.txt'):
        for p in glob.glob(osp.join(parts_dir, pattern)):
            if keep_world is not None and p.endswith(
                    f'-of-{keep_world:05d}.jsonl'):
                continue
            os.remove(p)
    if not keep_dir:
        shutil.rmtree(parts_dir, ignore_errors=True)
