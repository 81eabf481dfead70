"""Make a small PASCAL VOC set from real Fashion-MNIST images.

    python tools/dataset_converters/make_mini_voc.py [--out-dir data/mini-voc]
        [--voc07-trainval 500 --voc07-test 250 --voc12-train 500
         --voc12-val 250 --voc12-aug-extra 250 --canvas-size 128
         --object-size 24 64 --objects 1 3 --gap 2 --ignore-border 0
         --jpeg-quality 95 --seed 0]

Fashion-MNIST images (read by ``mmaccel.datasets.LocalFashionMNIST`` from
``data/fashion-mnist``) are resized to a random square side, and several are
pasted on each canvas, at random positions that never overlap (their paste
rectangles keep ``--gap`` pixels apart), over a dark noisy background
(``--background-level``, ``--background-noise``; 0 and 0 give black). Each
pasted object is its patch's non-zero pixels: its box is exactly their
extent, its class is the Fashion-MNIST label, its mask exactly those pixels.
Boxes and masks come from that mask, never from the written JPEG.

Written under ``OUT_DIR/VOCdevkit``, in the real layout, read unchanged by
MMDetection's ``VOCDataset`` and MMSegmentation's ``PascalVOCDataset``::

    VOC2007/JPEGImages/000001.jpg   Annotations/000001.xml
    VOC2007/ImageSets/Main/{trainval,test}.txt
    VOC2007/SegmentationClass/000001.png
    VOC2012/JPEGImages/2012_000001.jpg   Annotations/2012_000001.xml
    VOC2012/ImageSets/Main/trainval.txt              (train + val)
    VOC2012/ImageSets/Segmentation/{train,val}.txt
    VOC2012/ImageSets/Segmentation/aug.txt           (train + aug-extra)
    VOC2012/SegmentationClass/*.png     palette PNG (VOC palette), train + val
    VOC2012/SegmentationClassAug/*.png  8-bit label PNG, train + aug-extra

The ten Fashion-MNIST classes take the names of the first ten VOC classes
(MMSegmentation rejects other names): label ``k`` is VOC class ``k``
(``aeroplane`` ... ``cow``), segmentation value ``k + 1`` (0 is background).
Training sets (VOC2007 trainval, VOC2012 train and aug) paste Fashion-MNIST
training images; VOC2007 test pastes the first half of its test images,
VOC2012 val the second half.
Boxes follow VOC's convention: 1-based, inclusive pixel indices.
With ``--ignore-border W`` a ring of ``W`` pixels around each object is 255
in the masks (VOC's "void", ignored by MMSegmentation).
"""
from mmaccel.apis.mini_voc import main

if __name__ == '__main__':
    main()
