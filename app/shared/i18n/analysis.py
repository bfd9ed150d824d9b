"""Strings of the Analysis page."""

STRINGS = {
    "an.title": ("Analysis: basins, LR sensitivity, curvature", "分析:吸引域、学习率敏感度、曲率"),
    "an.lead": (
        "One trajectory from one start can mislead. Here every start of a grid, and every learning rate of a "
        "sweep, runs at once, so optimizers are compared fairly.",
        "单个起点的一条轨迹可能误导人。这里网格上的每个起点、扫描中的每个学习率都同时运行,"
        "从而公平地比较优化器。",
    ),
    "an.surface": ("Surface", "曲面"),
    "an.custom": ("Custom formula…", "自定义公式…"),
    "an.formula": ("f(x, y) =", "f(x, y) ="),
    "an.formula_help": (
        "Numbers, x, y, pi, e, + − * / ** and sin, cos, tan, exp, log, sqrt, tanh, sinh, cosh, abs, sign, "
        "arctan, sigmoid. Minima are found numerically.",
        "可用:数字、x、y、pi、e、+ − * / ** 以及 sin、cos、tan、exp、log、sqrt、tanh、sinh、cosh、abs、"
        "sign、arctan、sigmoid。最小值由数值方法求得。",
    ),
    "an.formula_error": ("This formula cannot be used: {error}", "无法使用该公式:{error}"),
    "an.condition": ("Condition number κ", "条件数 κ"),
    "an.run_error": ("This computation cannot run: {error}", "无法进行该计算:{error}"),
    # basins
    "an.basins": ("Basins of attraction", "吸引域"),
    "an.basins_lead": (
        "Every point of the grid is a start. Its colour on the right says where the optimizer went from "
        "there: which minimum (★ in the same colour), still moving after the last step (grey), or diverged "
        "(black).",
        "网格上的每个点都是一个起点。右图中的颜色表示优化器从该点出发的去向:落入哪个最小值"
        "(同色的 ★)、最后一步仍在移动(灰色),或发散(黑色)。",
    ),
    "an.optimizer": ("Optimizer", "优化器"),
    "an.steps": ("Steps", "步数"),
    "an.grid": ("Grid of starts", "起点网格"),
    "an.grid_help": (
        "n × n starts evenly spread over the view, all run in one vectorized computation.",
        "在视图上均匀分布的 n × n 个起点,全部在一次向量化计算中运行。",
    ),
    "an.more_hp": ("More…", "更多…"),
    "an.no_more_hp": ("This optimizer has no other hyperparameters.", "该优化器没有其他超参数。"),
    "an.no_minima": (
        "This surface has no known minimum, so every start is either still moving or diverged.",
        "该曲面没有已知的最小值,因此每个起点的结果只能是仍在移动或发散。",
    ),
    "an.budget": (
        "{n} starts × {asked} steps is more than this page keeps in memory at once: running {steps} steps "
        "instead. Use a smaller grid for more steps.",
        "{n} 个起点 × {asked} 步超出了本页一次可保留在内存中的量:改为运行 {steps} 步。"
        "如需更多步数,请使用更小的网格。",
    ),
    "an.computing_basins": ("Running {n} starts × {steps} steps…", "正在运行 {n} 个起点 × {steps} 步…"),
    "an.basins_caption": (
        "{n} starts, {steps} steps each. A start counts for a minimum when it ends within {tol} of it with a "
        "small gradient. Still moving: {moving}; diverged: {diverged}.",
        "共 {n} 个起点,每个 {steps} 步。终点距某最小值不超过 {tol} 且梯度很小时,计入该最小值。"
        "仍在移动:{moving};发散:{diverged}。",
    ),
    "an.fig.surface_panel": ("Loss surface", "损失曲面"),
    "an.fig.basin_panel": ("Where each start ends", "每个起点的终点"),
    "an.fig.minimum_n": ("★{n} ({x:.2f}, {y:.2f})", "★{n} ({x:.2f}, {y:.2f})"),
    "an.fig.minimum_short": ("minimum {n}", "最小值 {n}"),
    "an.fig.other_minima": ("other minima", "其他最小值"),
    "an.fig.still_moving": ("still moving", "仍在移动"),
    "an.fig.diverged": ("diverged", "发散"),
    # LR sweep
    "an.sweep": ("Learning-rate sensitivity", "学习率敏感度"),
    "an.sweep_lead": (
        "Each optimizer runs at 41 learning rates from 10⁻⁴ to 10 and from several starts near the surface's "
        "start. The line is the median over the runs, the band their 10th–90th percentile. A wide flat "
        "valley means an optimizer that is easy to tune.",
        "每个优化器在 10⁻⁴ 到 10 之间的 41 个学习率下、从曲面起点附近的多个起点运行。"
        "曲线是各次运行的中位数,色带是第 10 到第 90 百分位。谷底越宽越平,优化器越容易调参。",
    ),
    "an.sw.optimizers": ("Optimizers to compare", "要比较的优化器"),
    "an.sw.metric": ("Measure", "衡量指标"),
    "an.sw.metric.final_loss": ("final loss", "最终损失"),
    "an.sw.metric.steps_to_tol": ("steps to tolerance", "达到容差的步数"),
    "an.sw.steps": ("Steps per run", "每次运行的步数"),
    "an.sw.starts": ("Starts per learning rate", "每个学习率的起点数"),
    "an.sw.starts_help": (
        "The surface's start and, seeded, points scattered around it (5% of the view). The band shows how "
        "much the result depends on where you start.",
        "曲面的起点,以及在其周围随机(固定种子)散布的点(视图尺寸的 5%)。色带显示结果在多大程度上取决于起点。",
    ),
    "an.sw.more": ("Noise, tolerance…", "噪声、容差…"),
    "an.sw.noise": ("Gradient noise", "梯度噪声"),
    "an.sw.noise.batch": ("none", "无"),
    "an.sw.noise.minibatch": ("mini-batch", "小批量"),
    "an.sw.noise.sgd": ("single sample", "单样本"),
    "an.sw.noise_help": (
        "Gaussian noise on every gradient, as a multiple of the surface's typical gradient (0.3× or 1.5×), "
        "as on the Playground. Each start gets its own noise sequence.",
        "在每个梯度上加高斯噪声,大小为曲面典型梯度的倍数(0.3 倍或 1.5 倍),与游乐场相同。每个起点有各自的噪声"
        "序列。",
    ),
    "an.sw.seed": ("Noise seed", "噪声随机种子"),
    "an.sw.tol": ("Tolerance (loss above the minimum)", "容差(高出最小值的损失)"),
    "an.sw.tol_help": (
        "A run has converged once f − f* ≤ tolerance, f* the lowest known minimum. Steps to tolerance counts "
        "the steps until then.",
        "当 f − f* ≤ 容差时视为收敛,f* 为已知的最低最小值。“达到容差的步数”统计到那时为止的步数。",
    ),
    "an.sw.none": ("Pick at least one optimizer to sweep.", "请至少选择一个优化器进行扫描。"),
    "an.sw.needs_minima": (
        "The sweep measures how close each learning rate gets to a minimum, and this surface has none (its "
        "loss falls without bound). Pick a surface with a minimum to compare learning rates.",
        "扫描衡量的是每个学习率离最小值有多近,而该曲面没有最小值(损失可以无限下降)。"
        "请选择一个有最小值的曲面来比较学习率。",
    ),
    "an.computing_sweep": (
        "Running {n} optimizer(s) × {lrs} learning rates × {starts} starts…",
        "正在运行 {n} 个优化器 × {lrs} 个学习率 × {starts} 个起点…",
    ),
    "an.sw.fig.median": ("median", "中位数"),
    "an.sw.fig.click": ("click: open on the Playground", "点击:在游乐场中打开"),
    "an.sw.fig.never": ("diverged / never reached", "发散 / 未达到"),
    "an.sw.fig.stability": ("GD limit 2/λ<sub>max</sub>", "GD 稳定上限 2/λ<sub>max</sub>"),
    "an.sw.fig.x_lr": ("learning rate (log scale)", "学习率(对数坐标)"),
    "an.sw.fig.y_loss": ("final loss above the minimum, f − f*", "最终损失高出最小值的部分 f − f*"),
    "an.sw.fig.y_steps": ("steps until f − f* ≤ {tol}", "直到 f − f* ≤ {tol} 的步数"),
    "an.sw.caption": (
        "{starts} runs per point, {steps} steps each; band: {low}th–{high}th percentile. ✕ on the top line: "
        "the median run diverged or never reached the tolerance. Runs that diverge count as infinitely bad.",
        "每个点 {starts} 次运行,每次 {steps} 步;色带:第 {low} 到第 {high} 百分位。顶线上的 ✕:"
        "中位数运行发散或未达到容差。发散的运行按无穷差计算。",
    ),
    "an.sw.floor": ("Losses below 10⁻¹⁶ are drawn at 10⁻¹⁶.", "低于 10⁻¹⁶ 的损失画在 10⁻¹⁶ 处。"),
    "an.sw.window_title": ("Usable learning rates", "可用的学习率"),
    "an.sw.window": (
        "**{name}**: best lr ≈ {best}; within {within}× of the best from {low} to {high}.",
        "**{name}**:最佳学习率 ≈ {best};在 {low} 到 {high} 之间,结果不差于最佳值的 {within} 倍。",
    ),
    "an.sw.window_none": (
        "**{name}**: no learning rate converged here.",
        "**{name}**:此处没有任何学习率收敛。",
    ),
    "an.sw.window_diverges": ("Some runs diverge from lr {lr} on.", "从学习率 {lr} 起,部分运行发散。"),
    "an.sw.stability_note": (
        "The shaded band (or dashed line) marks 2/λ_max at the minima: above it, plain gradient descent "
        "cannot settle into them. Momentum and adaptive methods move that limit.",
        "阴影带(或虚线)标出各最小值处的 2/λ_max:超过它,普通梯度下降无法稳定在最小值处。"
        "动量与自适应方法会改变这个上限。",
    ),
    "an.sw.click_hint": (
        "Click a point of a curve to open that optimizer at that learning rate on the Playground.",
        "点击曲线上的一个点,即可在游乐场中以该学习率打开对应的优化器。",
    ),
    "an.sw.open": ("Open {name} at lr = {lr} on the Playground", "在游乐场中以 lr = {lr} 打开 {name}"),
    "an.sw.open_help": (
        "The learning rate is rounded to the nearest value of the Playground's slider.",
        "学习率会取整到游乐场滑块上最接近的值。",
    ),
    # curvature
    "an.curvature": ("Curvature at the critical points", "临界点处的曲率"),
    "an.curvature_lead": (
        "The Hessian's eigenvalues tell a critical point's kind: both positive, a minimum; opposite signs, a "
        "saddle; both negative, a maximum. Gradient descent settles into a minimum only with lr < 2/λ_max.",
        "Hessian 矩阵的特征值决定临界点的类型:都为正是最小值;异号是鞍点;都为负是最大值。"
        "只有当学习率 < 2/λ_max 时,梯度下降才能稳定在最小值处。",
    ),
    "an.col.point": ("point (x, y)", "点 (x, y)"),
    "an.col.kind": ("kind", "类型"),
    "an.col.lambda_min": ("λ_min", "λ_min"),
    "an.col.lambda_max": ("λ_max", "λ_max"),
    "an.col.bound": ("2/λ_max", "2/λ_max"),
    "an.kind.minimum": ("minimum", "最小值"),
    "an.kind.saddle": ("saddle", "鞍点"),
    "an.kind.maximum": ("maximum", "最大值"),
    "an.kind.degenerate": ("degenerate (a zero eigenvalue)", "退化(有零特征值)"),
    "an.kind.not_critical": ("not critical", "非临界点"),
    "an.no_critical": ("This surface has no known critical points.", "该曲面没有已知的临界点。"),
}
