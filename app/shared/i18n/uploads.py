"""Strings of uploads (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    # server folders: read only inside the operator's data root (OPTIM_LAB_DATA_ROOT)
    "up.folders_off_link": (
        "The link asks for a server folder ({source}), but this server reads no folders: showing the "
        "digits instead. Upload a zip of the dataset.",
        "链接要求读取服务器上的文件夹({source}),但本服务器不读取任何文件夹:已改为显示手写数字。"
        "请上传数据集的 zip 压缩包。",
    ),
    "up.data_help_no_root": (
        "Digits needs nothing. Other datasets come as a zip you upload here (this server reads no "
        "folders of its own).",
        "手写数字无需任何准备。其他数据集请在这里上传 zip 压缩包(本服务器不读取自身的文件夹)。",
    ),
    "up.path": ("Folder in the data root", "数据根目录中的文件夹"),
    "up.path_help": (
        "A folder inside the server's data root, written relative to it, that holds the dataset: e.g. "
        "the one with train-images-idx3-ubyte.gz, with data_batch_1 … 5, with one sub-folder per class, "
        "or with training/ and validation/.",
        "数据根目录中存放数据集的文件夹,写相对于根目录的路径:例如包含 train-images-idx3-ubyte.gz、"
        "包含 data_batch_1 … 5、每类一个子文件夹,或包含 training/ 与 validation/ 的文件夹。",
    ),
    "up.path_placeholder": ("e.g. mnist", "例如 mnist"),
    # a DataError's reason (optim_core.training.data), translated
    "up.err.folders_off": (
        "this server reads no folders; upload a zip instead.",
        "本服务器不读取任何文件夹;请改为上传 zip 压缩包。",
    ),
    "up.err.folder_refused": (
        "there is no readable dataset folder by that name in the data root.",
        "数据根目录中没有这个名字的可读数据集文件夹。",
    ),
    "up.err.walk_limit": (
        "the folder is too large to read: more than {files} files, folders more than {depth} deep, "
        "or too slow to list.",
        "文件夹太大,无法读取:超过 {files} 个文件、嵌套超过 {depth} 层,或列出文件太慢。",
    ),
    "up.err.too_big": (
        "{name} declares {mib} MiB; the limit is {limit} MiB.",
        "{name} 声明的大小为 {mib} MiB;上限为 {limit} MiB。",
    ),
    "up.err.too_many_values": (
        "{name}: {images} images are more than this server holds in memory (at most {limit} pixel "
        "values); set “Images per split” or a smaller image side.",
        "{name}:{images} 张图像超出了本服务器可在内存中保存的数量(最多 {limit} 个像素值);"
        "请设置“每个划分的图像数”或更小的图像边长。",
    ),
    "up.err.image_pixels": (
        "the image {name} has more pixels than the {limit} an image may have.",
        "图像 {name} 的像素数超过了单张图像的上限 {limit}。",
    ),
    "up.err.image_decode": (
        "the image {name} cannot be decoded: its file holds less than its header declares.",
        "图像 {name} 无法解码:文件内容少于其头部声明的大小。",
    ),
    "up.err.zip_depth": (
        "the zip nests folders {depth} deep; the limit is {limit}.",
        "该 zip 的文件夹嵌套了 {depth} 层;上限为 {limit} 层。",
    ),
    "up.err.zip_ratio": (
        "the zip entry {name} expands more than {ratio} times (a zip bomb?); the archive is refused.",
        "zip 条目 {name} 解压后膨胀超过 {ratio} 倍(疑似 zip 炸弹);已拒绝该压缩包。",
    ),
    "up.err.zip_total": (
        "the zip unpacks to {mib} MiB; the limit is {limit} MiB.",
        "该 zip 解压后为 {mib} MiB;上限为 {limit} MiB。",
    ),
    "up.err.recursion": (
        "the dataset is nested too deeply to read.",
        "数据集嵌套太深,无法读取。",
    ),
    "up.err.memory": (
        "the dataset asks for more memory than this server has.",
        "数据集所需的内存超出了本服务器的容量。",
    ),
}
