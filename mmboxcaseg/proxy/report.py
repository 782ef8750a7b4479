"""The converter's report: skips, drop rates, agreement and GT quality."""
from collections import Counter
from typing import Dict, Optional, Sequence

import numpy as np
from terminaltables import AsciiTable

from mmboxcaseg.evaluation.functional import summarize_instance_ious
from mmboxcaseg.structures.coco_index import SKIP_REASONS

# per-instance stage times of a run (summed over ranks)
STAGES = ('load', 'inference', 'postprocess', 'write', 'assemble')

DROP_THRESHOLDS = (0.5, 0.75, 0.85, 0.9, 0.95)
# the score's percentiles in the report: its scale differs between data
# sets (the default's median 0.51 on coco128, 0.68 on PennFudan), so a
# --drop-score-thr is read off them (e.g. the 20th: a fifth ignored)
SCORE_PERCENTILES = (5, 10, 20, 30, 50)

# A drop above this share of the processed masks is warned about: past a
# quarter the drop no longer removes a few bad masks but leaves the mask
# head a minority of the boxes to learn from.
DROP_WARN_SHARE = 0.25


def drop_warning(report: dict) -> Optional[str]:
    """One ``warning: ...`` line when the drop ignored more than
    :data:`DROP_WARN_SHARE` of the processed masks, else None."""
    n, dropped = report['processed'], report['dropped']
    if not n or dropped / n <= DROP_WARN_SHARE:
        return None
    return (f'warning: {dropped} of {n} proxy masks ({100 * dropped / n:.0f}'
            f' %) were dropped ({_drop_rule(report)}); the mask loss ignores '
            f'them. Measured on PennFudan, the drop at 0.95 ignored 77 % of '
            f'the masks and cost 2.9 segm AP over 3 seeds '
            f'(docs/model_zoo.md); '
            f'--drop-thr 0 --drop-score-thr 0 keeps every mask.')


def _drop_rule(report: dict) -> str:
    """What the run dropped by, e.g. ``agreement < 0.95, score < 0.3``
    (a rule at 0, which drops nothing, is left out unless both are)."""
    rule = []
    if report.get('drop_thr') or not report.get('drop_score_thr'):
        rule.append(f'agreement < {report.get("drop_thr", "?")}')
    if report.get('drop_score_thr'):
        rule.append(f'score < {report["drop_score_thr"]}')
    return ', '.join(rule)


def build_report(agreement: Sequence[float],
                 ignored: Sequence[bool],
                 skip: Sequence[Optional[str]],
                 gt_iou: Sequence[Optional[float]],
                 category_ids: Sequence,
                 crowd: int = 0,
                 scores: Optional[Sequence[float]] = None,
                 notes: Optional[Dict[str, int]] = None,
                 settings: Optional[dict] = None,
                 timing: Optional[dict] = None) -> dict:
    """Summarise the records of every non-crowd annotation.

    Args:
        agreement (Sequence[float]): (n,) proxy box agreement.
        ignored (Sequence[bool]): (n,) ``mask_ignored``.
        skip (Sequence[str | None]): (n,) skip reason, None if processed.
        gt_iou (Sequence[float | None]): (n,) IoU with the GT mask, None
            where there is none (or the instance was skipped).
        category_ids (Sequence): (n,) category ids (for ``mIoU*``).
        crowd (int): crowd annotations passed through.
        scores (Sequence[float], optional): (n,) the masks' ``score``.
        notes (dict, optional): other counts (clipped boxes, fallbacks).
        settings (dict, optional): copied into the report.
        timing (dict, optional): stage seconds (summed over shards) and
            ``wall`` seconds.

    Returns:
        dict: ``instances``, ``processed``, ``skipped`` (by reason),
        ``mask_ignored``, ``dropped``, ``drop_rate`` (dropped / processed),
        ``drop_rate_at`` thresholds, ``agreement_histogram`` (10 bins over
        processed instances), ``score_percentiles`` (of the processed
        masks' scores, with ``scores``), ``quality`` (``all`` / ``kept``
        proxies vs GT, from :func:`summarize_instance_ious`) when the json
        has GT masks.
    """
    agreement = np.asarray(agreement, dtype=np.float64).reshape(-1)
    ignored = np.asarray(ignored, dtype=bool).reshape(-1)
    skipped = np.array([s is not None for s in skip], dtype=bool).reshape(-1)
    n = agreement.size
    done = ~skipped
    n_done = int(done.sum())
    agr = agreement[done]
    dropped = int((ignored & done).sum())
    # bin k holds k/10 <= a < (k+1)/10, the last bin also 1.0 (the small
    # epsilon keeps e.g. 0.7 in bin 7 despite binary rounding)
    bins = np.clip(np.floor(agr * 10 + 1e-9), 0, 9).astype(np.int64)
    hist = np.bincount(bins, minlength=10)
    edges = np.linspace(0.0, 1.0, 11)
    by_reason = Counter(s for s in skip if s is not None)
    report = dict(settings or {})
    report.update(
        instances=int(n),
        crowd_passed_through=int(crowd),
        processed=n_done,
        skipped={r: int(by_reason[r])
                 for r in SKIP_REASONS if by_reason[r]},
        skipped_total=int(skipped.sum()),
        mask_ignored=int(ignored.sum()),
        dropped=dropped,
        drop_rate=dropped / n_done if n_done else 0.0,
        drop_rate_at={
            str(t): float((agr < t).mean()) if n_done else 0.0
            for t in DROP_THRESHOLDS
        },
        agreement_histogram=dict(
            edges=[round(float(e), 2) for e in edges],
            counts=[int(c) for c in hist]),
        notes={
            k: int(v)
            for k, v in sorted((notes or {}).items()) if v
        })
    has_gt = np.array([v is not None for v in gt_iou], dtype=bool)
    if scores is not None and n_done:
        s = np.asarray(scores, dtype=np.float64).reshape(-1)[done]
        report['score_percentiles'] = {
            str(q): round(float(v), 4)
            for q, v in zip(SCORE_PERCENTILES,
                            np.percentile(s, SCORE_PERCENTILES))
        }
    if has_gt.any():
        ious = np.array([v if v is not None else np.nan for v in gt_iou],
                        dtype=np.float64)
        cats = np.asarray(list(category_ids), dtype=object)
        quality = {
            'all': summarize_instance_ious(ious[has_gt],
                                           cats[has_gt].astype(str))
        }
        kept = has_gt & ~ignored
        if kept.any():
            quality['kept'] = summarize_instance_ious(ious[kept],
                                                      cats[kept].astype(str))
        report['quality'] = quality
    if timing:
        report['timing'] = timing
    return report


def _fmt(v) -> str:
    return f'{v:.2f}' if isinstance(v, float) else str(v)


def format_report(report: dict) -> str:
    """The report as plain-text tables (for stdout), then the drop
    warning if any (:func:`drop_warning`)."""
    rows = [['instances', report['instances']],
            ['crowd passed through', report['crowd_passed_through']],
            ['processed', report['processed']],
            ['skipped', report['skipped_total']]]
    rows += [[f'  {k}', v] for k, v in report['skipped'].items()]
    rows += [[k, v] for k, v in report['notes'].items()]
    rows += [[
        f'dropped ({_drop_rule(report)})', report['dropped']
    ], ['drop rate', f'{report["drop_rate"]:.3f}'],
             ['mask_ignored (dropped + skipped)', report['mask_ignored']]]
    out = [AsciiTable([['proxy masks', '']] + rows).table]
    h = report['agreement_histogram']
    e = h['edges']
    hist_rows = [['proxy_agreement', 'instances']] + [[
        f'[{e[i]:.1f}, {e[i + 1]:.1f}{"]" if i == 9 else ")"}', c
    ] for i, c in enumerate(h['counts'])]
    out.append(AsciiTable(hist_rows).table)
    out.append(
        AsciiTable([['drop thr'] + list(report['drop_rate_at']),
                    ['drop rate'] +
                    [f'{v:.3f}'
                     for v in report['drop_rate_at'].values()]]).table)
    if 'score_percentiles' in report:
        p = report['score_percentiles']
        out.append(
            AsciiTable([['score percentile'] + list(p),
                        ['score'] + [f'{v:.3f}' for v in p.values()]]).table)
    if 'quality' in report:
        keys = list(report['quality']['all'])
        q_rows = [['proxies vs GT'] + keys]
        for name, q in report['quality'].items():
            q_rows.append([name] + [_fmt(q[k]) for k in keys])
        out.append(AsciiTable(q_rows).table)
    if 'timing' in report:
        t = report['timing']
        n = max(report['processed'], 1)
        t_rows = [['stage', 'seconds (all ranks)', 'ms / instance']]
        for k in STAGES:
            if k in t:
                t_rows.append([k, f'{t[k]:.2f}', f'{1e3 * t[k] / n:.3f}'])
        t_rows.append([
            'wall ({} rank(s))'.format(t.get('shards', 1)),
            f'{t.get("wall", 0):.2f}',
            f'{t.get("instances_per_s", 0):.1f} instances/s'
        ])
        out.append(AsciiTable(t_rows).table)
    warning = drop_warning(report)
    if warning:
        out.append(warning)
    return '\n'.join(out)
