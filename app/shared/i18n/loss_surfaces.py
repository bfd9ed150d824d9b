"""Strings of loss_surfaces (see the module list in app/shared/i18n/__init__.py): the one-neuron
classifier's squared-error and cross-entropy surfaces, and the Playground's side-by-side view of them."""

STRINGS: dict[str, tuple[str, str]] = {
    "ls.pair": ("Side by side with the other loss", "与另一种损失并排对比"),
    "ls.pair_help": (
        "Adds both losses of the same neuron under the map, squared error and cross-entropy, with the "
        "same optimizers, learning rates and start.",
        "在地图下方并排显示同一个神经元的两种损失(均方误差与交叉熵),优化器、学习率和起点都相同。",
    ),
    "ls.pair_title": ("Squared error vs cross-entropy", "均方误差 vs 交叉熵"),
    "ls.pair_caption": (
        "The same optimizers from the same start on both losses. Where the neuron is confidently wrong, "
        "squared error is high but flat (its gradient carries the sigmoid's slope, ≈ 0 there), so plain "
        "gradient descent stalls; cross-entropy is steepest there.",
        "同样的优化器、同样的起点,分别在两种损失上运行。在神经元自信地判错的区域,均方误差很高却很平坦"
        "(它的梯度含有 sigmoid 的斜率,在那里 ≈ 0),普通梯度下降因此停滞;交叉熵恰恰在那里最陡。",
    ),
    "ls.short.classifier_mse": ("Squared error", "均方误差"),
    "ls.short.classifier_ce": ("Cross-entropy", "交叉熵"),
    "ls.col.optimizer": ("Optimizer", "优化器"),
    "ls.col.loss": ("{loss}: loss", "{loss}:损失"),
    "ls.col.grad": ("{loss}: |∇L|", "{loss}:|∇L|"),
}
