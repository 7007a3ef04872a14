"""Skeleton shapes and parameter counts, the two heads and the contrastive loss."""

import pytest
import torch

from nlc.errors import InputError
from nlc.baselines.models import PairCNN, SiameseNet, contrastive_loss, pairwise_distance
from nlc.baselines.skeleton import Skeleton, SkeletonConfig, count_parameters
from nlc.spec import N_FRAMES, N_MELS


def _expected_params(pool: int) -> int:
    bn = lambda c: 2 * c  # noqa: E731  (gamma, beta)
    prelu = 1
    conv = (1 * 16 * 9 + 16) + bn(16) + prelu + (16 * 4 * 9 + 4) + bn(4) + prelu
    frames, bins = N_FRAMES // pool // pool, N_MELS // pool // pool
    flat = 4 * frames * bins
    fc = (flat * 256 + 256) + bn(256) + prelu + (256 * 128 + 128) + bn(128) + prelu + (128 * 16 + 16)
    return bn(1) + conv + fc


@pytest.mark.parametrize("pool", [1, 2])
def test_skeleton_parameter_count_matches_the_paper_layout(pool):
    model = Skeleton(SkeletonConfig(pool=pool))
    assert count_parameters(model) == _expected_params(pool)


def test_unpooled_skeleton_has_the_authors_22m_first_layer():
    assert count_parameters(Skeleton(SkeletonConfig(pool=1))) > 22_700_000
    assert count_parameters(Skeleton()) < 1_500_000  # default: 2 x 2 pooling


def test_shapes_of_skeleton_and_heads():
    torch.manual_seed(0)
    x = torch.randn(5, N_FRAMES, N_MELS) * 20 - 40
    assert Skeleton()(x).shape == (5, 16)
    cnn, snn = PairCNN().eval(), SiameseNet().eval()
    assert cnn(x).shape == (5,)
    assert snn.embed(x).shape == (5, 16)
    d = snn(x, x.flip(0))
    assert d.shape == (5,) and torch.all(d >= 0)
    assert torch.allclose(snn(x, x), torch.zeros(5), atol=1e-5)


def test_skeleton_rejects_wrong_input_shape():
    with pytest.raises(InputError, match="173"):
        Skeleton()(torch.zeros(2, 100, 128))


def test_config_round_trips_and_validates():
    cfg = SkeletonConfig(pool=4, dropout=0.2)
    assert SkeletonConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(InputError):
        SkeletonConfig(kernel_size=2)
    with pytest.raises(InputError):
        SkeletonConfig(dropout=1.0)


def test_contrastive_loss_values():
    d = torch.tensor([0.0, 1.0, 3.0, 1.0])
    y = torch.tensor([1, 1, 0, 0])
    # 0.5 * mean([0, 1, relu(2-3)^2 = 0, (2-1)^2 = 1])
    assert contrastive_loss(d, y, margin=2.0).item() == pytest.approx(0.25)
    a, b = torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]])
    assert pairwise_distance(a, b).item() == pytest.approx(5.0)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_fast_max_pool_equals_torch_max_pool(k):
    from nlc.baselines.skeleton import MaxPool

    x = torch.randn(2, 3, 173, 128)
    torch.testing.assert_close(MaxPool(k)(x), torch.nn.MaxPool2d(k)(x), rtol=0, atol=0)
    x.requires_grad_(True)  # the training path (torch's pooling, for its backward): same values
    torch.testing.assert_close(MaxPool(k)(x), torch.nn.MaxPool2d(k)(x), rtol=0, atol=0)


@pytest.mark.parametrize("k,kernel", [(2, 3), (3, 3), (2, 5)])
def test_pooled_conv_equals_conv_then_pool(k, kernel):
    from nlc.baselines.skeleton import MaxPool, pooled_conv2d

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 6, kernel, padding=kernel // 2)
    x = torch.randn(3, 2, 37, 22, requires_grad=True)
    fused = pooled_conv2d(x, conv, k=k)
    torch.testing.assert_close(fused, MaxPool(k)(conv(x)), rtol=1e-6, atol=1e-6)
    fused.sum().backward()  # trains through it too
    assert x.grad is not None and torch.isfinite(x.grad).all()
    with pytest.raises(InputError, match="same"):
        pooled_conv2d(x, torch.nn.Conv2d(2, 6, 3, padding=0), k=k)


@pytest.mark.parametrize("kind", ["cnn", "snn"])
def test_skeleton_forward_equals_its_layers_run_in_order(kind):
    model = (PairCNN if kind == "cnn" else SiameseNet)().eval()
    x = torch.randn(4, N_FRAMES, N_MELS) * 20 - 40
    skeleton = model.skeleton
    plain = skeleton.fc(skeleton.conv(x.unsqueeze(1)))
    with torch.no_grad():
        torch.testing.assert_close(skeleton(x), plain, rtol=1e-5, atol=1e-5)
    # with gradients on, forward takes the plain path (torch pooling): same values
    torch.testing.assert_close(skeleton(x), plain, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["cnn", "snn"])
def test_channels_last_layout_changes_no_value_and_loads_any_layout(kind):
    make = PairCNN if kind == "cnn" else SiameseNet
    torch.manual_seed(0)
    model = make().eval()
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    # the same weights in the default (NCHW) layout, as older checkpoints hold them
    saved = {k: v.contiguous() for k, v in model.state_dict().items()}
    reference = make().to(memory_format=torch.contiguous_format).eval()
    reference.load_state_dict(saved)
    x = torch.randn(4, N_FRAMES, N_MELS) * 20 - 40
    with torch.no_grad():
        torch.testing.assert_close(model.skeleton(x), reference.skeleton(x), rtol=1e-4, atol=1e-4)
    fresh = make()
    fresh.load_state_dict(saved)  # loading keeps the fast layout
    conv = next(m for m in fresh.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
