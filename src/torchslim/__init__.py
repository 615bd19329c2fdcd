"""torchslim: TF-Slim's model-definition style on PyTorch."""
