"""Strings shared by every page: navigation, the sidebar, URL notices."""

STRINGS = {
    "app.title": ("Optimizer Lab", "优化器实验室"),
    "nav.home": ("Home", "首页"),
    "nav.playground": ("Loss-surface playground", "损失曲面游乐场"),
    "nav.schedules": ("LR schedules", "学习率调度"),
    "nav.ema": ("EMA", "指数移动平均"),
    "nav.training": ("Live training", "实时训练"),
    "nav.analysis": ("Analysis", "分析工具"),
    "sidebar.language": ("Language", "语言"),
    "sidebar.presenter": ("Presenter mode", "演示模式"),
    "sidebar.presenter_help": (
        "Large fonts and thick lines for projectors.",
        "为投影仪放大字体、加粗线条。",
    ),
    "sidebar.share": (
        "Every setting is in the URL: copy the address bar to share this exact view.",
        "所有设置都在网址中:复制地址栏即可分享当前视图。",
    ),
    "sidebar.reset": ("Reset this page", "重置本页"),
    "url.bad_value": (
        "Ignored URL value {key}={value!r} ({reason}); using the default {default!r}.",
        "已忽略网址参数 {key}={value!r}({reason});改用默认值 {default!r}。",
    ),
    "url.unknown_key": ("Ignored unknown URL parameter {key!r}.", "已忽略未知的网址参数 {key!r}。"),
    "url.reason.not_number": ("not a number", "不是数字"),
    "url.reason.not_integer": ("not an integer", "不是整数"),
    "url.reason.not_bool": ("expected true or false", "应为 true 或 false"),
    "url.reason.range": ("outside {low} … {high}", "超出范围 {low} … {high}"),
    "url.reason.choice": ("not one of the choices", "不在可选项中"),
    "url.reason.too_long": ("too long", "太长"),
    "home.title": ("Optimizer Lab", "优化器实验室"),
    "home.lead": (
        "See how deep-learning optimizers move. Every optimizer here equals PyTorch's to the last digit, "
        "and every setting lives in the URL, so a link reproduces exactly what you see.",
        "直观看到深度学习优化器如何移动。这里的每个优化器都与 PyTorch 逐位一致;所有设置都保存在网址中,"
        "分享链接即可复现你看到的画面。",
    ),
    "home.playground": (
        "Watch SGD, Momentum, RMSProp, Adam and friends descend 2D loss surfaces side by side: saddles, "
        "ravines, plateaus and many minima. Inspect gradients, momentum and the per-axis step size at any "
        "step.",
        "在二维损失曲面上并排观察 SGD、动量、RMSProp、Adam 等优化器:鞍点、峡谷、平台与多个极小值。"
        "可查看任一步的梯度、动量和各坐标轴的有效步长。",
    ),
    "home.schedules": (
        "Learning-rate schedules exactly as torch.optim.lr_scheduler computes them, and how a decaying LR "
        "calms a trajectory.",
        "与 torch.optim.lr_scheduler 完全一致的学习率调度,以及衰减的学习率如何让轨迹平稳下来。",
    ),
    "home.ema": (
        "The exponential moving average behind momentum and Adam: its window, its early bias and the "
        "bias correction.",
        "动量与 Adam 背后的指数移动平均:有效窗口、初期偏差与偏差修正。",
    ),
    "home.training": (
        "Compare optimizers on a small CNN, live: same weights, same batches, curves streaming in.",
        "在小型 CNN 上实时比较优化器:相同的初始权重、相同的批次,曲线实时更新。",
    ),
    "home.analysis": (
        "Fair comparisons: basins of attraction, LR sensitivity sweeps and curvature along the path.",
        "公平比较:吸引域、学习率敏感度扫描,以及路径上的曲率。",
    ),
    "home.open": ("Open", "打开"),
    "error.generic": ("Something went wrong: {error}", "出错了:{error}"),
    # the words of the formulas optim_core writes (i18n.latex): algorithms, schedules, EMA
    "latex.input": ("input", "输入"),
    "latex.initialize": ("initialize", "初始化"),
    "latex.for": ("for", "对"),
    "latex.do": ("do", "执行"),
    "latex.if": ("if", "若"),
    "latex.else": ("else", "否则"),
    "latex.return": ("return", "返回"),
    "latex.or": ("or", "或"),
    "latex.otherwise": ("otherwise", "其他情况"),
    "latex.window": ("window", "窗口"),
    "latex.momentum": ("momentum", "动量"),
    "latex.dampening": ("dampening", "阻尼"),
    "latex.weight_decay": ("weight decay", "权重衰减"),
    "latex.decoupled": ("decoupled", "解耦"),
    "latex.square_avg": ("square avg", "平方梯度均值"),
    "latex.accumulated_update": ("accumulated update", "累积更新量"),
    "latex.initial_accumulator_value": ("initial accumulator value", "累加器初值"),
    "latex.lr_decay": ("lr decay", "学习率衰减"),
    "latex.momentum_decay": ("momentum decay", "动量衰减"),
    "latex.epochs_since_the_metric_last_beat": (
        "epochs since the metric last beat",
        "指标上次优于以下值之后经过的 epoch 数:",
    ),
}
