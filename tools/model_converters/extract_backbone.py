"""Export the backbone of a pre-training checkpoint for transfer.

    python tools/model_converters/extract_backbone.py IN OUT [--in-channels 3]

Keeps the query encoder's ``backbone.*`` weights only (no momentum encoder,
necks or exit heads, queues, prototypes), strips the prefix and saves
``{'state_dict': ..., 'meta': ...}``: the file MMPretrain's ``ResNet``,
MMDetection's and MMSegmentation's backbones load with
``init_cfg=dict(type='Pretrained', checkpoint=OUT)`` (no ``prefix``).
``--in-channels 3`` turns the one-channel first convolution of a
Fashion-MNIST checkpoint into an RGB one (the weights repeated over the three
channels and divided by 3, so a gray image gives the same response);
``--in-channels 1`` does the reverse (the sum over the channels).

A file that is not a checkpoint, or has no ``backbone.`` keys, ends the tool
with one line naming the file and what is missing, and exit status 1.
"""
from mmaccel.apis.extract_backbone import main

if __name__ == '__main__':
    main()
