r"""
=========================================================
Stage I on several processes with DistributedDataParallel
=========================================================

Launch with torchrun; each process is one rank of a gloo (CPU) or NCCL (GPU)
process group, every global batch of pairs is split over the ranks and the
gradients are averaged::

    torchrun --standalone --nproc_per_node 2 examples/ddp_train.py \
        --n-steps 20 --batch-size 16 --out encoder.pt

On several machines, run the same command on each with ``--nnodes``,
``--node_rank`` and ``--master_addr``/``--master_port`` instead of
``--standalone`` (see docs/distributed.rst). Run without torchrun, the script
trains in one process on the whole batch, which gives the same weights (up to
float rounding): that is what tests/test_distributed.py checks.

Data: ``--data file.npz`` with arrays ``X`` (n, target_length, n_mels) and ``y``
(labels, bona fide = ``--pos-label``); without it, the sample shipped with the
package through ``LogMel(target_length=--target-length, n_mels=--n-mels)``.
Rank 0 writes the encoder weights (a ``state_dict``) and the losses to ``--out``.

Stage II and scoring: with ``--checkpoint``, rank 0 also writes the encoder in
the released SSAST checkpoint format
(:func:`sklearn_ssastcl.nn.save_ssast_checkpoint`)::

    torchrun --standalone --nproc_per_node 2 examples/ddp_train.py \
        --n-steps 20 --batch-size 16 --out encoder.pt --checkpoint encoder.pth

which :class:`~sklearn_ssastcl.SSASTCLClassifier` loads as ``pretrained``; with
``max_epochs=0`` it skips stage I and trains only the stage II head on the
frozen DDP-trained encoder (in one process)::

    from sklearn_ssastcl import LogMel, SSASTCLClassifier
    from sklearn_ssastcl.datasets import load_spoof_sample

    sample = load_spoof_sample()
    clf = SSASTCLClassifier(
        pretrained="encoder.pth", num_heads=2, n_mels=32, max_epochs=0,
        frontend=LogMel(target_length=64, n_mels=32), random_state=0,
    ).fit(sample.waveforms, sample.labels)
    scores = clf.decision_function(sample.waveforms)

The architecture comes from the checkpoint; ``num_heads`` must be given (it
cannot be read from the weights, except for the released widths 192, 384 and
768) and ``n_mels`` must be the ``--n-mels`` of training.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch
import torch.distributed as dist

from sklearn_ssastcl.distributed import ddp_fit_encoder


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Stage I on several processes with DistributedDataParallel."
    )
    parser.add_argument("--data", help="npz file with X and y (default: the sample)")
    parser.add_argument("--target-length", type=int, default=64)
    parser.add_argument("--n-mels", type=int, default=32)
    parser.add_argument("--pos-label", default="bonafide")
    parser.add_argument("--embed-dim", type=int, default=32)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--num-heads", type=int, default=2)
    parser.add_argument("--kernel-size", type=int, nargs=2, default=(16, 16))
    parser.add_argument("--n-steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16, help="global batch")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads/rank")
    parser.add_argument("--backend", default="gloo", help="gloo (CPU) or nccl")
    parser.add_argument("--out", default="encoder.pt")
    parser.add_argument(
        "--checkpoint",
        help="also write the encoder in the released SSAST format to this path "
        "(for SSASTCLClassifier(pretrained=...))",
    )
    return parser.parse_args(argv)


def load_data(args):
    if args.data:
        with np.load(args.data, allow_pickle=False) as data:
            return data["X"], data["y"]
    from sklearn_ssastcl import LogMel
    from sklearn_ssastcl.datasets import load_spoof_sample

    sample = load_spoof_sample()
    logmel = LogMel(target_length=args.target_length, n_mels=args.n_mels)
    return logmel.transform(sample.waveforms), sample.labels


def write_checkpoint(state, params, X, path):
    """Save the trained encoder in the released SSAST format."""
    from sklearn_ssastcl.nn import SSASTEncoder, save_ssast_checkpoint

    shape = np.shape(X)
    encoder = SSASTEncoder(**params, target_length=shape[1], n_mels=shape[2])
    encoder.load_state_dict(state, strict=True)
    return save_ssast_checkpoint(encoder, path)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    launched = "WORLD_SIZE" in os.environ  # set by torchrun
    if launched:
        dist.init_process_group(args.backend)  # rank, size, address from torchrun
    X, y = load_data(args)
    pos_label = args.pos_label
    if np.issubdtype(np.asarray(y).dtype, np.integer):
        pos_label = int(pos_label)
    params = {
        "size": None,
        "embed_dim": args.embed_dim,
        "depth": args.depth,
        "num_heads": args.num_heads,
        "kernel_size": tuple(args.kernel_size),
    }
    state, losses = ddp_fit_encoder(
        X,
        y,
        encoder_params=params,
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        pos_label=pos_label,
        random_state=args.seed,
    )
    rank = dist.get_rank() if launched else 0
    world = dist.get_world_size() if launched else 1
    if rank == 0:
        torch.save(
            {"state_dict": state, "losses": losses, "world_size": world}, args.out
        )
        print(f"world size {world}: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
        print(f"encoder weights written to {args.out}")
        if args.checkpoint:
            write_checkpoint(state, params, X, args.checkpoint)
            print(f"SSAST checkpoint written to {args.checkpoint}")
    if launched:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
