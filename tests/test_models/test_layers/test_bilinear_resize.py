import torch
import torch.nn.functional as F

from mmboxcaseg.models.layers import crop_and_resize, resize_to_sizes


def test_resize_to_sizes_matches_interpolate_per_item():
    gen = torch.Generator().manual_seed(0)
    maps = torch.rand(4, 6, 5, generator=gen)
    sizes = torch.tensor([[6, 5], [13, 2], [1, 1], [3, 17]])
    out = resize_to_sizes(maps, sizes)
    assert out.shape == (4, 13, 17)
    for m, (h, w), o in zip(maps, sizes.tolist(), out):
        ref = F.interpolate(
            m[None, None], (h, w), mode='bilinear', align_corners=False)[0, 0]
        assert torch.allclose(o[:h, :w], ref, atol=1e-6)


def test_resize_to_sizes_empty():
    assert resize_to_sizes(torch.zeros(0, 4, 4), torch.zeros(0,
                                                             2)).shape[0] == 0


def test_crop_and_resize_matches_crop_then_interpolate():
    gen = torch.Generator().manual_seed(1)
    image = torch.randint(0, 256, (9, 11, 3), generator=gen, dtype=torch.uint8)
    regions = torch.tensor([
        [0, 0, 11, 9],  # whole image (downsample in x, upsample in y)
        [3, 2, 4, 3],  # one pixel
        [8, 5, 11, 9],  # bottom-right corner
        [1, 1, 9, 4],
    ])
    crops = crop_and_resize(image, regions, (7, 10))
    assert crops.shape == (4, 3, 7, 10) and crops.dtype == torch.float32
    chw = image.permute(2, 0, 1).float()
    for (x0, y0, x1, y1), crop in zip(regions.tolist(), crops):
        ref = F.interpolate(
            chw[None, :, y0:y1, x0:x1], (7, 10),
            mode='bilinear',
            align_corners=False)[0]
        assert torch.allclose(crop, ref, atol=1e-4)
    # a one-pixel region is that pixel everywhere: no context leaks in
    assert torch.equal(crops[1], chw[:, 2:3, 3:4].expand(3, 7, 10))
