"""Batched bilinear resizes to per-item sizes (crops in, masks out).

Both functions reproduce ``F.interpolate(mode='bilinear',
align_corners=False)`` (and OpenCV's ``INTER_LINEAR``) of every item exactly,
but for a whole batch of items with *different* sizes in one set of tensor
ops, without a Python loop over items:

- :func:`crop_and_resize`: many box regions of one image -> fixed-size
  crops (the segmentor's inputs);
- :func:`resize_to_sizes`: fixed-size maps -> one size per map (the
  predictions pasted back into box regions).
"""
from typing import Tuple

import torch
from torch import Tensor


def bilinear_source_index(in_len: Tensor, out_len: Tensor,
                          out_max: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Source taps of a 1-D half-pixel bilinear resize, per item.

    Output position ``d`` of an item samples ``src = (d + 0.5) * in / out -
    0.5`` (clamped at 0) between ``i0 = floor(src)`` and ``i1 = min(i0 + 1,
    in - 1)`` with weight ``frac = src - i0`` on ``i1``.

    Args:
        in_len (Tensor): ``[K]`` input lengths (>= 1).
        out_len (Tensor): ``[K]`` output lengths (>= 1).
        out_max (int): padded output length; positions ``d >= out_len``
            are clamped to valid taps and are meaningless.

    Returns:
        tuple: ``i0``, ``i1`` (int64) and ``frac`` (float32), each
        ``[K, out_max]``.
    """
    in_len = in_len.reshape(-1, 1)
    out_len = out_len.reshape(-1, 1)
    dst = torch.arange(out_max, device=in_len.device, dtype=torch.float32)
    scale = in_len.float() / out_len.float()
    src = (scale * (dst + 0.5) - 0.5).clamp(min=0)
    last = in_len - 1
    i0 = torch.minimum(src.floor().long(), last)
    i1 = torch.minimum(i0 + 1, last)
    frac = (src - i0).clamp(0, 1)
    return i0, i1, frac


def _lerp(a: Tensor, b: Tensor, frac: Tensor) -> Tensor:
    # the operation order of ATen's bilinear kernel
    return (1 - frac) * a + frac * b


def resize_to_sizes(maps: Tensor, sizes: Tensor) -> Tensor:
    """Resize the i-th map to ``sizes[i]``; padded batch output.

    Args:
        maps (Tensor): ``[N, h, w]`` float maps.
        sizes (Tensor): ``[N, 2]`` int output sizes ``(H_i, W_i)``.

    Returns:
        Tensor: ``[N, max H_i, max W_i]``; ``out[i, :H_i, :W_i]`` equals
        ``F.interpolate(maps[i][None, None], (H_i, W_i), mode='bilinear')``,
        the rest is padding.
    """
    n, h, w = maps.shape
    sizes = sizes.to(maps.device).long().reshape(n, 2)
    if n == 0:
        return maps.new_zeros((0, 0, 0))
    out_h, out_w = int(sizes[:, 0].max()), int(sizes[:, 1].max())
    x0, x1, fx = bilinear_source_index(
        sizes.new_full((n, ), w), sizes[:, 1], out_w)
    y0, y1, fy = bilinear_source_index(
        sizes.new_full((n, ), h), sizes[:, 0], out_h)
    fx = fx.to(maps.dtype)[:, None, :]
    fy = fy.to(maps.dtype)[:, :, None]
    # columns first: [N, h, W_max], then rows: [N, H_max, W_max]
    rows = _lerp(
        maps.gather(2, x0[:, None, :].expand(n, h, out_w)),
        maps.gather(2, x1[:, None, :].expand(n, h, out_w)), fx)
    return _lerp(
        rows.gather(1, y0[:, :, None].expand(n, out_h, out_w)),
        rows.gather(1, y1[:, :, None].expand(n, out_h, out_w)), fy)


def crop_and_resize(image: Tensor, regions: Tensor,
                    out_size: Tuple[int, int]) -> Tensor:
    """Crop integer regions of one image and resize each to ``out_size``.

    Equals ``F.interpolate(image[:, y0:y1, x0:x1], out_size,
    mode='bilinear', align_corners=False)`` for every region (no context
    from outside the region enters a crop), for all regions at once. Memory
    is ``O(K * out_h * out_w * C)``, independent of the image size.

    Args:
        image (Tensor): ``[H, W, C]`` image (any dtype, e.g. uint8 BGR as
            loaded by OpenCV).
        regions (Tensor): ``[K, 4]`` int ``x0, y0, x1, y1`` (half-open,
            inside the image, from ``box_regions``).
        out_size (tuple): ``(out_h, out_w)``.

    Returns:
        Tensor: ``[K, C, out_h, out_w]`` float32 crops.
    """
    out_h, out_w = int(out_size[0]), int(out_size[1])
    regions = regions.to(image.device).long().reshape(-1, 4)
    x0, y0, x1, y1 = regions.unbind(1)
    ix0, ix1, fx = bilinear_source_index(x1 - x0, x1.new_full(x1.shape, out_w),
                                         out_w)
    iy0, iy1, fy = bilinear_source_index(y1 - y0, y1.new_full(y1.shape, out_h),
                                         out_h)
    ix0, ix1 = ix0 + x0[:, None], ix1 + x0[:, None]
    iy0, iy1 = iy0 + y0[:, None], iy1 + y0[:, None]
    rows0, rows1 = iy0[:, :, None], iy1[:, :, None]  # [K, out_h, 1]
    cols0, cols1 = ix0[:, None, :], ix1[:, None, :]  # [K, 1, out_w]
    fx = fx[:, None, :, None]  # [K, 1, out_w, 1]
    fy = fy[:, :, None, None]  # [K, out_h, 1, 1]
    # corners [K, out_h, out_w, C]
    top = _lerp(image[rows0, cols0].float(), image[rows0, cols1].float(), fx)
    bottom = _lerp(image[rows1, cols0].float(), image[rows1, cols1].float(),
                   fx)
    return _lerp(top, bottom, fy).permute(0, 3, 1, 2).contiguous()
