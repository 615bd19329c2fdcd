"""Fine-tune a Slim ResNet v2 from a checkpoint, with the logits excluded.

The TF-Slim recipe that seed page 003's training notes lead to (and ``train_image_classifier.py``
automates with ``--checkpoint_exclude_scopes``)::

    variables_to_restore = slim.get_variables_to_restore(exclude=['resnet_v2_small/logits'])
    init_fn = slim.assign_from_checkpoint_fn(checkpoint_path, variables_to_restore)
    train_op = slim.learning.create_train_op(total_loss, optimizer)   # runs the UPDATE_OPS too
    slim.learning.train(train_op, logdir, init_fn=init_fn)

in torchslim: build the model, ``slim.assign_from_checkpoint(model, path, exclude=[...logits])``,
then ordinary training steps (BatchNorm updates itself; ``get_total_loss`` adds the weight decay).

The net is ``resnet_v2_small``, the small ResNet v2 of TF-Slim's own ``resnet_v2_test.py`` (the real
``resnet_v2.resnet_v2`` builder with four tiny bottleneck blocks). Without ``--checkpoint`` the
example first writes a stand-in "pretrained" checkpoint with 1001 classes, as the Slim model zoo's
have, using torchslim's TF checkpoint writer; with ``--checkpoint`` it starts from yours, e.g. the
TF-Slim golden fixture ``shared/fixtures/resnet_v2_small/model.ckpt``. It fine-tunes on the embedded
handwritten digits (10 classes) and writes the result as a TF checkpoint.

    python examples/finetune_from_checkpoint.py
    python examples/finetune_from_checkpoint.py --checkpoint ../shared/fixtures/resnet_v2_small/model.ckpt
    python examples/finetune_from_checkpoint.py --trainable-scopes resnet_v2_small/logits   # logits only
"""

import argparse
import os
import tempfile

import torch

import torchslim as slim
from torchslim.nets import resnet_v2
from torchslim.train.data import load_digits


def resnet_v2_small(inputs, num_classes=None, is_training=None, scope='resnet_v2_small'):
    block = resnet_v2.resnet_v2_block
    blocks = [
        block('block1', base_depth=1, num_units=3, stride=2),
        block('block2', base_depth=2, num_units=3, stride=2),
        block('block3', base_depth=4, num_units=3, stride=2),
        block('block4', base_depth=8, num_units=2, stride=1),
    ]
    return resnet_v2.resnet_v2(inputs, blocks, num_classes, is_training=is_training, scope=scope)


def make_model(num_classes, batch_norm_decay):
    # batch_norm_decay: Slim's 0.997 suits long runs; a short fine-tune needs faster moving averages.
    with slim.arg_scope(resnet_v2.resnet_arg_scope(batch_norm_decay=batch_norm_decay)):
        return slim.Model(resnet_v2_small, num_classes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', help='TF checkpoint prefix to start from (default: write a stand-in)')
    parser.add_argument('--output', help='where to write the fine-tuned TF checkpoint (default: a temp dir)')
    parser.add_argument('--trainable-scopes', nargs='*', default=None,
                        help='train only variables under these scopes (default: all)')
    parser.add_argument('--steps', type=int, default=300)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--image-size', type=int, default=32)
    parser.add_argument('--learning-rate', type=float, default=0.1)
    parser.add_argument('--batch-norm-decay', type=float, default=0.9)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    workdir = tempfile.mkdtemp(prefix='finetune_')
    example = torch.zeros(2, args.image_size, args.image_size, 3)

    checkpoint = args.checkpoint
    if checkpoint is None:
        # A stand-in for a Slim model-zoo checkpoint: same net, 1001 classes (class 0 = background).
        pretrained = make_model(1001, args.batch_norm_decay).build(example)
        checkpoint = pretrained.save_checkpoint(os.path.join(workdir, 'pretrained.ckpt'))
        print('wrote a stand-in pretrained checkpoint:', checkpoint)

    # Restore everything but the logits, whose shape differs (1001 -> 10 classes).
    model = make_model(10, args.batch_norm_decay).build(example)
    report = slim.assign_from_checkpoint(model, checkpoint, exclude=['resnet_v2_small/logits'])
    print(report)

    if args.trainable_scopes:
        variables = [v for scope in args.trainable_scopes
                     for v in slim.get_trainable_variables(scope, model=model)]
    else:
        variables = slim.get_trainable_variables(model=model)
    print('training %d of %d trainable variables' % (len(variables),
                                                     len(slim.get_trainable_variables(model=model))))
    optimizer = torch.optim.SGD([v.tensor for v in variables], lr=args.learning_rate, momentum=0.9)

    train = load_digits('train', image_size=args.image_size, channels=3)
    held_out = load_digits('validation', image_size=args.image_size, channels=3)
    model.train()
    for step in range(args.steps):
        images, labels = train.batch(torch.randint(0, len(train), (args.batch_size,)))
        logits, _ = model(images)
        slim.losses.sparse_softmax_cross_entropy(logits, labels)
        total_loss = slim.losses.get_total_loss()       # + the L2 weight decay of resnet_arg_scope
        optimizer.zero_grad()
        total_loss.backward()
        optimizer.step()
        if step % 20 == 0 or step == args.steps - 1:
            print('step %d: total loss %.4f' % (step, total_loss.item()))

    model.eval()
    with torch.no_grad():
        logits, _ = model(held_out.images)
    accuracy = (logits.argmax(1) == held_out.labels).float().mean().item()
    print('held-out accuracy after %d steps: %.3f' % (args.steps, accuracy))

    output = model.save_checkpoint(args.output or os.path.join(workdir, 'finetuned.ckpt'))
    print('wrote the fine-tuned TF checkpoint:', output)
    return model, accuracy


if __name__ == '__main__':
    main()
