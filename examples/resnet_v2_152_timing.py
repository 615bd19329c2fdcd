"""Forward-pass timing of ResNet-152 v2, with the seed's ``time_tensorflow_run`` report.

From seed page 001 ("TensorFlow实现ResNet ... ResNet 152网络结构的forward耗时检测"): the page builds
``resnet_v2_152(inputs, 1000)`` under ``resnet_arg_scope(is_training=False)`` on a
``tf.random_uniform((32, 224, 224, 3))`` batch and times ``session.run(net)`` over 100 batches after
10 burn-in steps, printing a line every 10 steps and the mean +/- standard deviation per batch.

What changes in the port:

* ``tf.random_uniform`` -> ``torch.rand`` (still NHWC); the session and ``global_variables_initializer``
  go: ``slim.Model`` creates the variables on its first call, and ``session.run(net)`` becomes a call.
* ``is_training=False`` is an argument of the newer Slim ``resnet_v2_152`` (the page's older
  ``resnet_arg_scope`` took it); ``model.eval()`` and ``torch.inference_mode()`` make it a pure forward.
* The page's garbled ``if i = num_steps_burn_in`` is ``if i >= num_steps_burn_in``.

    python examples/resnet_v2_152_timing.py                                   # the page's run
    python examples/resnet_v2_152_timing.py --batch-size 1 --image-size 64 --num-batches 2
    python examples/resnet_v2_152_timing.py --depth 50                        # 50, 101, 152, 200

The report is ``torchslim.bench.time_run``; ``torchslim benchmark resnet_v2_152`` gives the same run
for any net of the factory, with images/s, peak memory, autocast, ``--compile`` and a backward pass.
"""

import argparse

import torch

import torchslim as slim
from torchslim.bench import mean_sd, time_run  # the page's time_tensorflow_run report
from torchslim.nets import resnet_v2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--depth', type=int, default=152, choices=[50, 101, 152, 200])
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--image-size', type=int, default=224)
    parser.add_argument('--num-batches', type=int, default=100)
    parser.add_argument('--burn-in', type=int, default=10)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)

    device = torch.device(args.device)
    batch_size = args.batch_size
    height, width = args.image_size, args.image_size
    inputs = torch.rand(batch_size, height, width, 3, device=device)
    net_fn = getattr(resnet_v2, 'resnet_v2_%d' % args.depth)
    with slim.arg_scope(resnet_v2.resnet_arg_scope()):
        model = slim.Model(net_fn, 1000, is_training=False)
    model.build(inputs[:1]).to(device).eval()  # creates the variables (tf.global_variables_initializer)
    print('%s: %d variables, %.1fM parameters, input %s' % (
        net_fn.__name__, len(model.tf_variables()), sum(p.numel() for p in model.parameters()) / 1e6,
        list(inputs.shape)))

    def forward():
        with torch.inference_mode():
            net, end_points = model(inputs)
        if device.type == 'cuda':
            torch.cuda.synchronize()
        return net

    return mean_sd(time_run(forward, 'Forward', args.num_batches, args.burn_in))


if __name__ == '__main__':
    main()
