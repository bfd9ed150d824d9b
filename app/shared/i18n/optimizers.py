"""Optimizer names and the parts of their labels whose wording changes with the language.

Keys are `opt.<key>` for the keys of optim_core's label parts (a rule's name, or `suffix.<what>`); the
English is optim_core's own text (a test keeps them equal). Names that read the same in both languages
("Adam", "RMSprop", " + L2") have no entry: app/shared/optimizer_labels.py shows them as they are.
"""

STRINGS = {
    "opt.momentum": ("SGD + momentum", "SGD + 动量"),
    "opt.nesterov": ("SGD + Nesterov", "SGD + Nesterov 动量"),
    "opt.momentum_ema": ("Momentum (EMA)", "动量(EMA 形式)"),
    "opt.rmsprop_eps_inside": ("RMSprop (ε inside √)", "RMSprop(ε 在根号内)"),
    "opt.adam_no_bias_correction": ("Adam (no bias correction)", "Adam(无偏差修正)"),
    # Adam's weight decay is L2 through the gradient; said so beside AdamW's decoupled decay
    "opt.suffix.l2_in_gradient": (" + L2", " + L2(梯度)"),
    "opt.suffix.decoupled": (" (decoupled)", "(解耦权重衰减)"),
    "opt.suffix.centered": (" (centered)", "(中心化)"),
    "opt.suffix.momentum": (" + momentum", " + 动量"),
}
