"""The shared training step: checked by hand, and the same in skorch and DDP."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback

from sklearn_ssastcl._ddp import ddp_fit_encoder
from sklearn_ssastcl._net import ClassifierNet, ContrastiveNet
from sklearn_ssastcl._pairs import PairSampler, epoch_rng
from sklearn_ssastcl._steps import ADAM_BETAS, SiameseStep, TrainStep
from sklearn_ssastcl.augment import SpecAugment
from sklearn_ssastcl.nn import SSASTEncoder
from sklearn_ssastcl.nn._losses import SiameseContrastiveLoss
from sklearn_ssastcl.nn._siamese import SiameseSSAST
from tests._tiny import make_spectrograms, one_torch_thread  # noqa: F401

ENCODER = {"size": None, "embed_dim": 16, "depth": 1, "num_heads": 2}
ENCODER.update(kernel_size=(4, 4), target_length=16, n_mels=8)


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    return SiameseSSAST(SSASTEncoder(**ENCODER), **kw)


def _pairs(n=6, seed=0):
    X, y = make_spectrograms(12, seed=seed)
    a, b, same = PairSampler(y == "bonafide").sample(n, np.random.default_rng(seed))
    X = torch.from_numpy(X)
    return {"x_a": X[a], "x_b": X[b]}, torch.from_numpy(same)


def _hand_loss(outputs, same, alpha=0.5, margin=1.0):
    """``L_SA + alpha * L_CA`` written out: same d^2, else max(0, m - d)^2."""
    u_a, u_b, u_ab = outputs

    def term(u, v):
        d = torch.sqrt(((u - v) ** 2).sum(dim=1))
        s = same.float()
        return (s * d**2 + (1 - s) * torch.clamp(margin - d, min=0) ** 2).mean()

    return term(u_a, u_b), term(u_a, u_ab), term(u_a, u_b) + alpha * term(u_a, u_ab)


def test_siamese_step_matches_a_hand_computation():
    model, hand = _model(), _model()
    x, same = _pairs()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, betas=ADAM_BETAS)
    hand_opt = torch.optim.Adam(hand.parameters(), lr=1e-2, betas=ADAM_BETAS)
    criterion = SiameseContrastiveLoss(alpha=0.5)

    out = SiameseStep()(model, criterion, [opt], x, same)

    l_sa, l_ca, loss = _hand_loss(hand(x["x_a"], x["x_b"]), same)
    torch.testing.assert_close(out["loss_sa"], l_sa, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out["loss_ca"], l_ca, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out["loss"], loss, rtol=1e-5, atol=1e-6)
    assert 0 < float(l_ca.detach()) != float(l_sa.detach())
    loss.backward()
    for (name, p), q in zip(model.named_parameters(), hand.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-7, msg=name)
    hand_opt.step()
    init, moved = _model().state_dict(), 0.0
    for (name, p), q in zip(model.named_parameters(), hand.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6, msg=name)
        moved = max(moved, float((p.detach() - init[name]).abs().max()))
    assert moved > 5e-3  # the step did move the weights (lr 1e-2)


def test_step_without_cross_attention_and_with_alpha_zero():
    x, same = _pairs()
    for model, alpha in ((_model(cross_attention=False), 1.0), (_model(), 0.0)):
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        out = SiameseStep()(model, SiameseContrastiveLoss(alpha=alpha), [opt], x, same)
        assert "loss_ca" not in out and out["loss"] is out["loss_sa"]


def test_spec_augment_seed_then_rows():
    """Masks come from a seed drawn from ``generator``; ``part`` is cut after."""
    aug = SpecAugment(freq_mask=3, time_mask=4)
    x, same = _pairs(8)
    seen = {}

    class Spy(torch.nn.Module):
        def forward(self, x_a, x_b):
            seen.update(x_a=x_a, x_b=x_b)
            return (x_a.sum((1, 2)) * 0 + self.w, x_b.sum((1, 2)) * 0 + self.w)

    spy = Spy()
    spy.w = torch.nn.Parameter(torch.ones(()))
    step = TrainStep(spec_augment=aug, generator=torch.Generator().manual_seed(7))

    def criterion(y_pred, y):
        return (y_pred[0] * y).mean()

    opt = torch.optim.SGD(spy.parameters(), lr=0.1)
    step(spy, criterion, [opt], x, same.float(), part=slice(2, 5))

    seeds = torch.Generator().manual_seed(7)
    masks = torch.Generator().manual_seed(
        int(torch.randint(2**31 - 1, (1,), generator=seeds))
    )
    want_a, want_b = aug(x["x_a"], masks), aug(x["x_b"], masks)
    assert torch.equal(seen["x_a"], want_a[2:5])
    assert torch.equal(seen["x_b"], want_b[2:5])
    assert not torch.equal(seen["x_a"], x["x_a"][2:5])
    grad = float(same[2:5].float().mean())  # d(mean(w * same)) / dw
    assert float(spy.w.detach()) == pytest.approx(1 - 0.1 * grad)


def test_unknown_precision():
    with pytest.raises(ValueError, match="precision must be one of"):
        TrainStep(precision="fp8")


def _contrastive_net(model, lr, spec_augment=None, callbacks=None):
    return ContrastiveNet(
        model,
        criterion=SiameseContrastiveLoss(alpha=1.0, margin=1.0),
        optimizer=torch.optim.Adam,
        optimizer__betas=ADAM_BETAS,
        optimizer__weight_decay=5e-7,
        lr=lr,
        train_split=None,
        spec_augment=spec_augment,
        callbacks=callbacks,
    ).initialize()


def _step(net, batch):
    """``net.train_step`` as skorch's epoch loop calls it (history rows ready)."""
    if not len(net.history):
        net.history.new_epoch()
    net.history.new_batch()
    return net.train_step(batch)


@pytest.mark.parametrize("augment", [False, True])
def test_ddp_single_process_equals_the_estimators_stage1_net(augment):
    """Same initial weights and pairs: ``ddp_fit_encoder`` and the skorch net of
    ``fit_stage1`` end with the same weights and losses, bit for bit."""
    X, y = make_spectrograms(20, seed=5)
    aug = SpecAugment(freq_mask=2, time_mask=3) if augment else None
    steps, batch, lr = 3, 8, 3e-3
    kw = {k: v for k, v in ENCODER.items() if k not in ("target_length", "n_mels")}
    state, losses = ddp_fit_encoder(
        X,
        y,
        encoder_params=kw,
        n_steps=steps,
        batch_size=batch,
        lr=lr,
        spec_augment=aug,
        random_state=3,
    )
    with torch.random.fork_rng(devices=[]):
        model = _model(seed=3)
        net = _contrastive_net(model, lr, aug)
        torch.manual_seed(3)  # the SpecAugment seeds: ddp's generator's stream
        sampler, Xt, net_losses = PairSampler(y == "bonafide"), torch.from_numpy(X), []
        for i in range(steps):
            a, b, same = sampler.sample(batch, epoch_rng(3, i))
            step = _step(net, ({"x_a": Xt[a], "x_b": Xt[b]}, same))
            net_losses.append(float(step["loss"].detach()))
    assert losses == net_losses
    fitted = model.encoder.state_dict()
    assert all(torch.equal(state[k], fitted[k]) for k in state)
    init = _model(seed=3).encoder.state_dict()
    assert max(float((state[k] - init[k]).abs().max()) for k in state) > 1e-3


def test_ddp_fit_encoder_keeps_the_global_rng():
    X, y = make_spectrograms(12, seed=4)
    kw = {k: v for k, v in ENCODER.items() if k not in ("target_length", "n_mels")}
    torch.manual_seed(123)
    before = torch.get_rng_state()
    ddp_fit_encoder(X, y, encoder_params=kw, n_steps=1, batch_size=4)
    assert torch.equal(torch.get_rng_state(), before)
    with pytest.raises(ValueError, match="precision='fp16' needs a CUDA device"):
        ddp_fit_encoder(X, y, encoder_params=kw, precision="fp16")


def test_nets_use_public_skorch_hooks_only():
    for cls in (ContrastiveNet, ClassifierNet):
        ours = [k for k in cls.__mro__ if k.__module__.startswith("sklearn_ssastcl")]
        own = {n for k in ours for n in vars(k)}
        private = {n for n in own if n[:1] == "_" != n[1:2] and hasattr(NeuralNet, n)}
        assert not private, f"{cls.__name__} overrides private skorch {private}"


def test_net_step_notifies_on_grad_and_records_parts():
    class Grads(Callback):
        def initialize(self):
            self.norms = []
            return self

        def on_grad_computed(self, net, named_parameters, **kwargs):
            self.norms.append(sum(float(p.grad.norm()) for _, p in named_parameters))

    grads = Grads()
    net = _contrastive_net(_model(), 1e-3, callbacks=[("grads", grads)])
    x, same = _pairs()
    before = copy.deepcopy(net.module_.state_dict())
    with torch.no_grad():  # skorch's get_loss hook: the loss the step takes
        expected = net.step_.losses(net.criterion_, net.infer(x), same)["loss"]
    step = _step(net, (x, same))
    assert torch.equal(step["loss"].detach(), expected)
    assert len(grads.norms) == 1 and grads.norms[0] > 0
    row = net.history[-1, "batches", -1]
    assert row["loss_sa"] == float(step["loss_sa"].detach()) and "loss_ca" in row
    after = net.module_.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in after)
    net.history.new_batch()
    with torch.no_grad():
        loss = net.get_loss(net.infer(x), same)
    assert net.history[-1, "batches", -1]["loss_sa"] <= float(loss)


def test_bf16_net_step_on_cpu():
    net = ContrastiveNet(
        _model(),
        criterion=SiameseContrastiveLoss(),
        optimizer=torch.optim.Adam,
        lr=1e-3,
        train_split=None,
        precision="bf16",
    ).initialize()
    assert net.scaler_ is None
    x, same = _pairs()
    step = _step(net, (x, same))
    assert step["loss"].dtype == torch.float32 and torch.isfinite(step["loss"])
    assert all(o.dtype == torch.float32 for o in step["y_pred"])
