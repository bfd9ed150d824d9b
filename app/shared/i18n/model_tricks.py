"""Strings of model_tricks (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    # the Training sidebar's Model section
    "mt.residual": ("Residual blocks", "残差块"),
    "mt.residual_help": (
        "Each conv block adds a residual branch x + F(x): one more 3×3 conv (with BatchNorm and ReLU) at "
        "the block's size, around an identity shortcut.",
        "每个卷积块加一条残差分支 x + F(x):在该块的尺寸上再做一次 3×3 卷积(带 BatchNorm 和 ReLU),"
        "捷径为恒等映射。",
    ),
    "mt.drop_path": ("Drop path", "随机深度(DropPath)"),
    "mt.drop_path_help": (
        "Stochastic depth: in training, each sample's residual branch is dropped with this probability "
        "and kept ones are scaled by 1/(1−p); every optimizer drops the same branches at the same step. "
        "At validation every branch is kept.",
        "随机深度:训练时每个样本的残差分支以该概率被丢弃,保留的分支乘以 1/(1−p);在同一步,"
        "每个优化器丢弃相同的分支。验证时保留所有分支。",
    ),
    # the run's caption
    "mt.cap.residual": ("residual blocks", "残差块"),
    "mt.cap.drop_path": ("drop path {value}", "随机深度 {value}"),
    # the best weights of a finished or stopped run
    "mt.best.title": ("Best weights", "最佳权重"),
    "mt.best.lead": (
        "Each optimizer's weights at its best validation accuracy, as a PyTorch state_dict: load it with "
        "`torch.load(path, weights_only=True)` into the run's SmallCNN. The accuracy is measured again from "
        "the saved weights.",
        "每个优化器在其最佳验证准确率时的权重,为 PyTorch 的 state_dict:用 "
        "`torch.load(path, weights_only=True)` 载入本次运行的 SmallCNN。准确率由保存的权重重新测得。",
    ),
    "mt.best.lane": (
        "**{label}**: epoch {epoch}, validation accuracy {acc}",
        "**{label}**:第 {epoch} 轮,验证准确率 {acc}",
    ),
    "mt.best.download": ("Download", "下载"),
    "mt.best.none": (
        "No best weights were kept (keep best off, or no epoch completed).",
        "没有保存最佳权重(未开启保留最佳,或尚未完成任何一轮)。",
    ),
    "mt.best.unreadable": ("The best weights file could not be read.", "无法读取最佳权重文件。"),
}
