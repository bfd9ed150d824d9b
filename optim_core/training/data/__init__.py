"""Image datasets as tensors: where they come from, and how they become an ImageDataset.

    dataset   ImageDataset, DataError, make_dataset: normalization and the fixed train/validation split
    builtin   digits (bundled with scikit-learn) and synthetic images: no file needed
    idx       MNIST / Fashion-MNIST IDX files
    cifar     CIFAR-10 python batches (a restricted unpickler)
    images    image files: ImageFolder class folders and the HW3 food-11 layout
    load      load_dataset / detect_format: the one entry point, by name or by what a folder holds
    upload    safe extraction of an uploaded zip, then load_dataset on it
    walk      list_files: a folder's files, bounded in number, depth and time (every loader reads it)
    roots     the operator's data root (OPTIM_LAB_DATA_ROOT): a typed path resolves inside it or is refused

Import a name from the module that holds it (optim_core.training.data.load.load_dataset): the package
re-exports nothing, so every name has one import path.
"""
