"""Run by the distributed test under torchrun: ``torchslim train`` with the given flags, then this rank's
variables (TF names and layout) to ``<out>/rank<RANK>.npz``. The training is ``torchslim train``'s own
code path (its parser and ``job.run``); only the dump is added, to compare the ranks."""

import os
import sys

import numpy as np

from torchslim.checkpoint.saving import model_tensors
from torchslim.cli import build_parser
from torchslim.train import job


def main(out: str, argv: list) -> None:
    args = build_parser("train").parse_args(["train", *argv])
    result = job.run(job.TrainConfig.from_namespace(args), quiet=True)
    np.savez(os.path.join(out, f"rank{os.environ['RANK']}.npz"), **model_tensors(result.model))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
