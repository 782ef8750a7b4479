"""Benchmark BoxCaseg: vectorised losses, three heads vs one, peak memory.

(a) forward + backward of the MIL + pairwise losses on ``[B, 1, crop, crop]``
    logits, against a loop-per-bag / loop-per-direction reference of the same
    formulas (their values must agree);
(b) one training step (forward, backward, SGD) of BoxCaseg with all three
    heads against a single-head FCN (same backbone + neck + one head, pixel
    BCE);
(c) peak memory of each phase: ``torch.cuda.max_memory_allocated`` on GPU;
    on CPU every phase runs in a forked child and reports its peak RSS growth
    (``VmHWM`` after resetting it through ``/proc/self/clear_refs``, else the
    ``resource.getrusage`` ``ru_maxrss`` delta).

Example (CPU, a couple of minutes)::

    python tools/analysis_tools/benchmark_segmentor.py --batch-size 8 \
        --crop 160 --loss-batch-size 16 --loss-crop 288
"""
import argparse
import multiprocessing as mp
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BACKBONES = {
    'effnet_lite0': (dict(type='mmpretrain.TIMMBackbone',
                          model_name='efficientnet_lite0',
                          features_only=True,
                          out_indices=(1, 2, 3, 4)), [24, 40, 112, 320]),
    'hrnet_w18': (dict(type='mmpretrain.HRNet', arch='w18'), [18, 36, 72,
                                                              144]),
    'hrnet_w48': (dict(type='mmpretrain.HRNet',
                       arch='w48'), [48, 96, 192, 384]),
}


# ------------------------------------------------------------- references
def reference_mil(logits, label):
    """BBTP MIL loss, one bag at a time."""
    terms = []
    n, _, h, w = logits.shape
    for b in range(n):
        for x in range(w):
            terms.append(
                F.binary_cross_entropy_with_logits(logits[b, 0, :, x].max(),
                                                   label[b, 0, :, x].max()))
        for y in range(h):
            terms.append(
                F.binary_cross_entropy_with_logits(logits[b, 0, y, :].max(),
                                                   label[b, 0, y, :].max()))
    return torch.stack(terms).mean()


def reference_pairwise(logits, weight=0.05):
    """BBTP pairwise loss, one direction at a time (zero-padded shifts)."""
    p = logits.sigmoid()
    h, w = p.shape[-2:]
    padded = F.pad(p, (1, 1, 1, 1))
    per_dir = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == dx == 0:
                continue
            nb = padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            per_dir.append((p - nb).square().mean())
    return weight * torch.stack(per_dir).mean()


# ----------------------------------------------------------------- phases
def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(fn, device, repeat, warmup):
    """Best-of-``repeat`` seconds of ``fn()`` after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    best, out = float('inf'), None
    for _ in range(repeat):
        sync(device)
        start = time.perf_counter()
        out = fn()
        sync(device)
        best = min(best, time.perf_counter() - start)
    return best, out


def phase_losses(args, flag):
    """``flag = (which, vectorised)``, ``which`` in mil, pairwise, both."""
    from mmboxcaseg.models.losses import BBTPMILLoss, BBTPPairwiseLoss
    which, vectorised = flag
    device = torch.device(args.device)
    gen = torch.Generator().manual_seed(0)
    shape = (args.loss_batch_size, 1, args.loss_crop, args.loss_crop)
    logits = (torch.randn(shape, generator=gen) * 3).to(device)
    logits.requires_grad_(True)
    label = torch.zeros(shape)
    c = args.loss_crop
    label[..., c // 4:3 * c // 4, c // 3:c - 4] = 1
    label = label.to(device)
    mil, pairwise = (BBTPMILLoss(), BBTPPairwiseLoss()) if vectorised else (
        reference_mil, reference_pairwise)
    use_mil, use_pairwise = which in ('mil', 'both'), which in ('pairwise',
                                                                'both')

    def step():
        logits.grad = None
        loss = 0
        if use_mil:
            loss = loss + mil(logits, label)
        if use_pairwise:
            loss = loss + pairwise(logits)
        loss.backward()
        return loss.item(), logits.grad.cpu().numpy().copy()

    repeat = args.repeat if vectorised or not use_mil else 1
    return timed(step, device, repeat, args.warmup if repeat > 1 else 0)


def phase_empty(args, flag):
    """A tiny autograd step: the fixed cost of a phase's first torch use."""
    x = torch.ones(4, requires_grad=True, device=args.device)
    (x * 2).sum().backward()
    return None


class FCN(nn.Module):
    """Single-head baseline: backbone + neck + one head, pixel BCE."""

    def __init__(self, backbone, neck, head):
        super().__init__()
        self.backbone, self.neck, self.head = backbone, neck, head

    def forward(self, x, label):
        logits = self.head(self.neck(self.backbone(x))[0])
        logits = F.interpolate(
            logits, label.shape[-2:], mode='bilinear', align_corners=False)
        return F.binary_cross_entropy_with_logits(logits, label)


def phase_train_step(args, variant):
    """One SGD step: ``variant`` 'fcn' (one head), 'three' (BoxCaseg) or
    'three+color' (BoxCaseg with the colour-aware pairwise loss)."""
    three_heads = variant != 'fcn'
    from mmengine.structures import BaseDataElement

    import mmboxcaseg.models  # noqa: F401
    from mmboxcaseg.registry import MODELS
    torch.manual_seed(0)
    device = torch.device(args.device)
    backbone, channels = BACKBONES[args.backbone]
    c = sum(channels)
    neck = dict(type='UpsampleConcat', in_channels=channels)
    if args.reduce_channels:
        neck['reduce_channels'] = c = args.reduce_channels
    b, s = args.batch_size, args.crop
    images = torch.randint(0, 256, (b, 3, s, s), dtype=torch.uint8)
    labels = torch.zeros(b, 1, s, s, dtype=torch.uint8)
    labels[..., s // 4:3 * s // 4, s // 3:s - 4] = 1
    if three_heads:
        model = MODELS.build(
            dict(
                type='BoxCaseg',
                backbone=backbone,
                neck=neck,
                weak_head=dict(type='BoxCasegHead', in_channels=c),
                salient_head=dict(type='BoxCasegHead', in_channels=c),
                transferred_head=dict(type='TransferredHead', in_channels=c),
                color_pairwise_loss=dict(type='ColorPairwiseLoss')
                if variant == 'three+color' else None)).to(device)
        samples = []
        for i in range(b):  # 11:5 box:salient as in the COCO schedule
            sample = BaseDataElement(
                metainfo=dict(source='box' if i < b * 11 // 16 else 'salient'))
            sample.gt_label = labels[i]
            samples.append(sample)
        data = model.data_preprocessor(
            dict(inputs=list(images), data_samples=samples), True)

        def loss_fn():
            return sum(
                model.loss(data['inputs'], data['data_samples']).values())
    else:
        model = FCN(
            MODELS.build(backbone), MODELS.build(neck),
            MODELS.build(dict(type='BoxCasegHead', in_channels=c)))
        model.data_preprocessor = MODELS.build(
            dict(type='BoxCasegDataPreprocessor'))
        model = model.to(device)
        inputs = model.data_preprocessor(dict(inputs=list(images)),
                                         True)['inputs']
        target = labels.float().to(device)

        def loss_fn():
            return model(inputs, target)

    model.train()
    optim = torch.optim.SGD(
        model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)

    def step():
        optim.zero_grad()
        loss = loss_fn()
        loss.backward()
        optim.step()
        return loss.item()

    n_params = sum(p.numel() for p in model.parameters())
    seconds, _ = timed(step, device, args.repeat, args.warmup)
    return seconds, n_params


# ------------------------------------------------------- memory + running
def _status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def _run_measured(fn, args, flag, conn):
    try:
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # reset the peak RSS to the current RSS
            start = _status_kib('VmRSS')

            def peak():
                return _status_kib('VmHWM') - start
        except OSError:
            start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

            def peak():
                return resource.getrusage(
                    resource.RUSAGE_SELF).ru_maxrss - start

        out = fn(args, flag)
        conn.send(('ok', out, peak() / 1024))
    except Exception as e:  # report to the parent, which re-raises
        conn.send(('error', repr(e), None))
    finally:
        conn.close()


def measure(fn, args, flag):
    """Run one phase; returns (its output, peak memory in MiB)."""
    device = torch.device(args.device)
    if device.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        out = fn(args, flag)
        return out, (torch.cuda.max_memory_allocated(device) - base) / 2**20
    ctx = mp.get_context('fork')
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_run_measured, args=(fn, args, flag, child))
    proc.start()
    status, out, peak = parent.recv()
    proc.join()
    if status != 'ok':
        raise RuntimeError(f'{fn.__name__}({flag}) failed: {out}')
    return out, peak


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--backbone', choices=sorted(BACKBONES), default='effnet_lite0')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--crop', type=int, default=288)
    parser.add_argument(
        '--loss-batch-size',
        type=int,
        default=None,
        help='batch of the loss benchmark (default: '
        '--batch-size)')
    parser.add_argument(
        '--loss-crop',
        type=int,
        default=None,
        help='logit size of the loss benchmark (default: '
        '--crop)')
    parser.add_argument(
        '--reduce-channels',
        type=int,
        default=None,
        help='UpsampleConcat projection (the CPU configs: 128)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--skip-losses', action='store_true')
    parser.add_argument('--skip-step', action='store_true')
    args = parser.parse_args()
    args.loss_batch_size = args.loss_batch_size or args.batch_size
    args.loss_crop = args.loss_crop or args.crop
    return args


def main():
    args = parse_args()
    # import (and register) everything before forking, so that a phase's
    # memory is its own
    import timm  # noqa: F401
    from mmengine.structures import BaseDataElement  # noqa: F401

    import mmboxcaseg.models  # noqa: F401
    from mmboxcaseg.registry import MODELS
    for name in ('mmpretrain.HRNet', 'mmpretrain.TIMMBackbone', 'BoxCaseg'):
        MODELS.get(name)
    rows = []
    _, base = measure(phase_empty, args, None)
    if torch.device(args.device).type == 'cuda':
        base = 0.
    if not args.skip_losses:
        size = f'{args.loss_batch_size}x{args.loss_crop}^2'
        for which, name in (('both', 'MIL+pairwise'), ('mil', 'MIL'),
                            ('pairwise', 'pairwise')):
            (t_vec, (v_vec, g_vec)), m_vec = measure(phase_losses, args,
                                                     (which, True))
            (t_ref, (v_ref, g_ref)), m_ref = measure(phase_losses, args,
                                                     (which, False))
            if abs(v_vec - v_ref) > 1e-4 * max(1., abs(v_ref)):
                raise AssertionError(f'{name}: loss values differ: '
                                     f'vectorised {v_vec} vs reference '
                                     f'{v_ref}')
            grad_err = float(abs(g_vec - g_ref).max())
            if grad_err > 1e-5:
                raise AssertionError(f'{name}: gradients differ by '
                                     f'{grad_err}')
            rows.append((f'{name} fwd+bwd, vectorised ({size})', t_vec, m_vec,
                         f'loss {v_vec:.6f}'))
            rows.append((f'{name} fwd+bwd, loop reference ({size})', t_ref,
                         m_ref, f'vectorised is {t_ref / t_vec:.1f}x faster' +
                         (' (goal >= 3x)' if which == 'both' else '')))
    if not args.skip_step:
        (t_one, p_one), m_one = measure(phase_train_step, args, 'fcn')
        (t_three, p_three), m_three = measure(phase_train_step, args,
                                              'three')
        (t_col, _), m_col = measure(phase_train_step, args, 'three+color')
        size = f'{args.backbone}, {args.batch_size}x{args.crop}^2'
        rows.append((f'train step, single-head FCN ({size})', t_one, m_one,
                     f'{p_one / 1e6:.2f}M params'))
        rows.append((f'train step, BoxCaseg 3 heads ({size})', t_three,
                     m_three, f'{p_three / 1e6:.2f}M params, '
                     f'{t_three / t_one:.2f}x FCN (goal <= 1.3x)'))
        rows.append((f'train step, 3 heads + colour pairwise ({size})',
                     t_col, m_col, f'{t_col / t_three:.2f}x without it'))
    device = torch.device(args.device)
    mem = 'CUDA peak alloc' if device.type == 'cuda' else 'peak RSS growth'
    width = max(len(r[0]) for r in rows)
    print(f'device: {args.device}, torch threads: '
          f'{torch.get_num_threads()}, best of {args.repeat}')
    print(
        f'{"phase":<{width}} | {"time (s)":>9} | {mem + " (MiB)":>22} | note')
    print('-' * (width + 50))
    for name, seconds, mib, note in rows:
        print(f'{name:<{width}} | {seconds:9.4f} | {mib - base:22.1f} | '
              f'{note}')
    if base:
        print(f'(memory: minus {base:.1f} MiB, the growth of an empty phase)')


if __name__ == '__main__':
    os.environ.setdefault('PYTHONHASHSEED', '0')
    main()
