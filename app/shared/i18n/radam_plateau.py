"""Strings of radam_plateau (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    "rp.plateau_caption": (
        "Reduce on plateau steps once per epoch, on each optimizer's own validation loss, as "
        "scheduler.step(val_loss) does in a PyTorch loop; the warmup climbs to its current LR.",
        "平台期降低学习率每轮(epoch)调度一次,依据每个优化器自己的验证损失,"
        "与 PyTorch 训练循环中的 scheduler.step(val_loss) 相同;预热升至其当前学习率。",
    ),
}
