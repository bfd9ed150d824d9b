"""Strings of the LR-schedules page and of the schedule settings shared with the Playground."""

STRINGS = {
    "sch.title": ("Learning-rate schedules", "学习率调度"),
    "sch.lead": (
        "Every curve is computed exactly as torch.optim.lr_scheduler computes it: the value at step t is the "
        "LR "
        "the optimizer uses for iteration t. Edit a schedule, keep curves to compare, and take the PyTorch "
        "code.",
        "每条曲线都与 torch.optim.lr_scheduler 的计算完全一致:第 t 步的值就是优化器在第 t 次迭代时使用的学习"
        "率。"
        "编辑调度、保留曲线进行比较,并获取对应的 PyTorch 代码。",
    ),
    "sch.steps": ("Steps", "步数"),
    "sch.lr": ("Base LR (the optimizer's lr)", "基础学习率(优化器的 lr)"),
    "sch.lr_help": (
        "The LR the optimizer is created with; every schedule except CyclicLR and OneCycleLR scales it.",
        "创建优化器时的学习率;除 CyclicLR 和 OneCycleLR 外,所有调度都以它为基准缩放。",
    ),
    "sch.logy": ("Logarithmic LR axis", "学习率轴使用对数刻度"),
    "sch.current": ("Edit a schedule", "编辑调度"),
    "sch.schedule": ("Schedule", "调度方式"),
    "sch.none": ("None (constant LR)", "无(恒定学习率)"),
    "sch.part": ("Part {k}", "第 {k} 段"),
    "sch.times_lr": ("{name} (× LR)", "{name}(× 学习率)"),
    "sch.zero_is_none": ("{name} (0 = same as up)", "{name}(0 表示与上升相同)"),
    "sch.whole_run": ("{name} (0 = the whole run)", "{name}(0 表示整个训练过程)"),
    "sch.whole_run_steps": ("{name} (0 = all {n} steps)", "{name}(0 表示全部 {n} 步)"),
    "sch.invalid": ("These settings do not make a schedule: {error}", "这些设置无法构成调度:{error}"),
    "sch.kept_invalid": ("Kept curve {n} cannot be drawn: {error}", "保留的曲线 {n} 无法绘制:{error}"),
    "sch.absolute_note": (
        "This schedule sets absolute LRs (base_lr, max_lr), as in torch: the base LR slider has no effect on "
        "it.",
        "与 torch 一致,该调度直接设定学习率的绝对值(base_lr、max_lr):基础学习率滑块对它不起作用。",
    ),
    "sch.keep_button": ("Keep this curve", "保留这条曲线"),
    "sch.keep_help": (
        "Add the curve to the comparison; it stays in the URL.",
        "把曲线加入比较;它会保存在网址中。",
    ),
    "sch.keep_full": ("At most {n} kept curves: remove one first.", "最多保留 {n} 条曲线:请先移除一条。"),
    "sch.keep_already": ("This exact curve is already kept.", "完全相同的曲线已被保留。"),
    "sch.kept": ("Kept curves", "已保留的曲线"),
    "sch.drop": ("Remove this curve", "移除这条曲线"),
    "sch.drop_all": ("Remove all kept curves", "移除所有保留的曲线"),
    "sch.empty": (
        "Choose a schedule, or keep a curve, to see it here.",
        "请选择一种调度或保留一条曲线,以在此显示。",
    ),
    "sch.stopped": (
        "{label} is defined for the first {steps} steps only: {error}",
        "{label} 仅对前 {steps} 步有定义:{error}",
    ),
    "sch.details": ("Formula, PyTorch code and numbers", "公式、PyTorch 代码与数值"),
    "sch.tab_current": ("Edited curve", "正在编辑的曲线"),
    "sch.tab_kept": ("Kept {n}", "保留 {n}"),
    "sch.torch_code": ("The same schedule in PyTorch", "在 PyTorch 中的等价写法"),
    "sch.csv": ("Download CSV (step, lr)", "下载 CSV(步数、学习率)"),
    "sch.use_on_playground": ("Use this schedule on the Playground", "在游乐场中使用此调度"),
    "sch.playground_help": (
        "The Playground multiplies each optimizer's own LR by this schedule's shape (the curve divided by "
        "the "
        "base LR; for CyclicLR and OneCycleLR, divided by max_lr).",
        "游乐场会把每个优化器自身的学习率乘以此调度的形状(曲线除以基础学习率;CyclicLR 和 OneCycleLR 则除以 "
        "max_lr)。",
    ),
    "sch.fig.step": ("Step t", "步数 t"),
    "sch.fig.lr": ("Learning rate", "学习率"),
    # ReduceLROnPlateau
    "sch.plt.lead": (
        "ReduceLROnPlateau is not a function of the step: it watches a metric and cuts the LR by `factor` "
        "once "
        "the metric has not improved for more than `patience` epochs. Here it watches a synthetic validation "
        "loss that falls, then flattens out with noise, or the validation loss of a run the Training page "
        "saved.",
        "ReduceLROnPlateau 不是步数的函数:它监视一个指标,当该指标超过 `patience` 个周期没有改进时,把学习率乘"
        "以 "
        "`factor`。这里它监视的是一条合成的验证损失(先下降,然后在噪声中趋于平稳),或训练页面保存的某次运行的"
        "验证损失。",
    ),
    "sch.plt.series": ("The loss series (synthetic)", "损失序列(合成)"),
    "sch.plt.epochs": ("Epochs", "训练周期数"),
    "sch.plt.seed": ("Noise seed", "噪声随机种子"),
    "sch.plt.noise": ("Noise", "噪声大小"),
    "sch.plt.noise_help": (
        "Size of the multiplicative noise on the loss: more noise means more false alarms and fake "
        "improvements.",
        "损失上乘性噪声的大小:噪声越大,误报与虚假改进就越多。",
    ),
    "sch.plt.loglr": ("Logarithmic LR axis", "学习率轴使用对数刻度"),
    "sch.plt.loss": ("Validation loss (synthetic)", "验证损失(合成)"),
    "sch.plt.epoch": ("Epoch", "训练周期"),
    "sch.plt.cut": ("LR cut", "学习率下调"),
    "sch.plt.cut_hover": ("Cut after epoch {epoch}", "第 {epoch} 个周期后下调"),
    "sch.plt.summary": (
        "{n} cut(s), at epoch(s) {epochs}; final LR {final}.",
        "共下调 {n} 次,发生在第 {epochs} 个周期;最终学习率 {final}。",
    ),
    "sch.plt.formula_note": (
        "Shown for mode=min, threshold_mode=rel. max mode flips the comparison; abs mode compares with "
        "`best` − threshold. A cut is followed by `cooldown` epochs in which bad epochs are not counted.",
        "此处为 mode=min、threshold_mode=rel 的情形。max 模式比较方向相反;"
        "abs 模式与 `best` − threshold 比较。每次下调后有 `cooldown` 个周期不统计无改进的周期。",
    ),
    "sch.plt.source": ("The monitored loss", "监视的损失"),
    "sch.plt.source.synthetic": ("Synthetic", "合成"),
    "sch.plt.source.run": ("A saved run", "已保存的运行"),
    "sch.plt.runs_missing": (
        "No finished or stopped training run yet: watching the synthetic loss until the Training page has "
        "saved one.",
        "还没有已完成或已停止的训练运行:在训练页面保存运行之前,先监视合成的损失。",
    ),
    "sch.plt.run_empty": (
        "Run #{id} recorded no validation loss: watching the synthetic loss.",
        "运行 #{id} 没有记录验证损失:改为监视合成的损失。",
    ),
    "sch.plt.run_loss": ("Validation loss ({lane}, run #{id})", "验证损失({lane},运行 #{id})"),
    # reasons in URL notices and errors
    "sch.reason.int_list": (
        "{text!r} is not a comma-separated list of integers",
        "{text!r} 不是以逗号分隔的整数列表",
    ),
    "sch.reason.list_long": ("at most {n} numbers", "最多 {n} 个数"),
    "sch.reason.parts": (
        "at most {n} parts, that is {m} milestones, on this page",
        "本页最多支持 {n} 段,即 {m} 个里程碑",
    ),
    "sch.reason.unknown_schedule": ("unknown schedule {name!r}", "未知的调度 {name!r}"),
    "sch.reason.field": ("unexpected field {field!r}", "意外的字段 {field!r}"),
    "sch.reason.zero_lr": (
        "the base LR must be above 0 to express a curve as multipliers",
        "要把曲线表示为倍数,基础学习率必须大于 0",
    ),
    "sch.reason.too_many": ("more than {n} kept curves", "保留的曲线超过 {n} 条"),
    "sch.reason.kept": ("kept curve {entry!r}: {reason}", "保留的曲线 {entry!r}:{reason}"),
    # parameter help: sch.help.<schedule>.<param>, else sch.help.<param>
    "sch.help.step_size": ("Steps between two cuts.", "两次衰减之间的步数。"),
    "sch.help.gamma": ("The LR is multiplied by gamma at each cut.", "每次衰减时学习率乘以 gamma。"),
    "sch.help.exponential_lr.gamma": (
        "Factor per step: after t steps the LR is lr·gammaᵗ.",
        "每步的衰减因子:t 步后学习率为 lr·gammaᵗ。",
    ),
    "sch.help.cyclic_lr.gamma": (
        "exp_range only: the amplitude shrinks as gammaᵗ.",
        "仅用于 exp_range:振幅按 gammaᵗ 缩小。",
    ),
    "sch.help.milestones": (
        "Steps where the LR is cut, comma-separated and increasing, e.g. 30,80.",
        "学习率下调的步数,以逗号分隔并递增,例如 30,80。",
    ),
    "sch.help.sequential_lr.milestones": (
        "Steps where the next part starts, comma-separated, e.g. 10 or 10,150: one part more than "
        "milestones.",
        "下一段开始的步数,以逗号分隔,例如 10 或 10,150:段数比里程碑多一个。",
    ),
    "sch.help.constant_lr.factor": ("LR multiplier until total_iters.", "在 total_iters 之前的学习率倍数。"),
    "sch.help.total_iters": (
        "Steps the change lasts; the LR holds after that.",
        "变化持续的步数;之后学习率保持不变。",
    ),
    "sch.help.start_factor": ("LR multiplier at step 0.", "第 0 步的学习率倍数。"),
    "sch.help.end_factor": ("LR multiplier reached at total_iters.", "在 total_iters 时达到的学习率倍数。"),
    "sch.help.polynomial_lr.power": ("Exponent of the decay: 1 is linear.", "衰减的指数:1 为线性。"),
    "sch.help.T_max": (
        "Steps from lr down to eta_min. Past T_max the LR rises again (the cosine goes on), exactly as in "
        "torch. Where the box says so, 0 anneals once over the whole run.",
        "从 lr 降到 eta_min 的步数。超过 T_max 后学习率会再次上升(余弦继续),与 torch 完全一致。"
        "若标签注明,0 表示在整个训练过程中只退火一次。",
    ),
    "sch.help.eta_min": ("The lowest LR (an absolute value).", "最低学习率(绝对值)。"),
    "sch.help.T_0": ("Length of the first cycle, in steps.", "第一个周期的长度(步数)。"),
    "sch.help.T_mult": (
        "Each cycle is T_mult times as long as the one before.",
        "每个周期的长度是前一个的 T_mult 倍。",
    ),
    "sch.help.base_lr": ("Lowest LR of the cycle (absolute).", "周期中的最低学习率(绝对值)。"),
    "sch.help.cyclic_lr.max_lr": ("Highest LR of the cycle (absolute).", "周期中的最高学习率(绝对值)。"),
    "sch.help.one_cycle_lr.max_lr": (
        "Peak LR (absolute); the cycle starts at max_lr / div_factor.",
        "峰值学习率(绝对值);周期从 max_lr / div_factor 开始。",
    ),
    "sch.help.step_size_up": ("Steps from base_lr up to max_lr.", "从 base_lr 上升到 max_lr 的步数。"),
    "sch.help.step_size_down": (
        "Steps from max_lr back down to base_lr.",
        "从 max_lr 回落到 base_lr 的步数。",
    ),
    "sch.help.cyclic_lr.mode": (
        "triangular: same height every cycle; triangular2: halved each cycle; exp_range: scaled by gammaᵗ.",
        "triangular:每个周期高度相同;triangular2:每个周期减半;exp_range:按 gammaᵗ 缩放。",
    ),
    "sch.help.total_steps": (
        "Length of the whole cycle; the schedule is defined up to this step only.",
        "整个周期的长度;调度只定义到这一步为止。",
    ),
    "sch.help.pct_start": (
        "Fraction of total_steps spent rising to max_lr.",
        "用于升到 max_lr 的步数占 total_steps 的比例。",
    ),
    "sch.help.anneal_strategy": ("Shape of the ramps: cosine or linear.", "升降曲线的形状:余弦或线性。"),
    "sch.help.div_factor": ("Starting LR = max_lr / div_factor.", "起始学习率 = max_lr / div_factor。"),
    "sch.help.final_div_factor": (
        "Final LR = starting LR / final_div_factor.",
        "最终学习率 = 起始学习率 / final_div_factor。",
    ),
    "sch.help.three_phase": (
        "Come back down to the starting LR before the final annealing.",
        "在最后退火之前先回落到起始学习率。",
    ),
    "sch.help.k": ("Decay rate: the LR has halved at t = 1/k.", "衰减速率:在 t = 1/k 时学习率减半。"),
    "sch.help.exponential_budget.d": ("Fraction of the LR left at step T.", "第 T 步时剩余的学习率比例。"),
    "sch.help.exponential_budget.T": (
        "The budget: the step where the LR has fallen to d·lr.",
        "预算:学习率降到 d·lr 的步数。",
    ),
    "sch.help.power.T": ("Step where the LR reaches 0.", "学习率降到 0 的步数。"),
    "sch.help.p": (
        "Exponent: 1 is linear; larger falls faster at first.",
        "指数:1 为线性;越大则前期下降越快。",
    ),
    "sch.help.staircase.d": ("Factor per stair.", "每一级台阶的衰减因子。"),
    "sch.help.s": ("Steps per stair.", "每级台阶的步数。"),
    "sch.help.warmup_steps": ("Steps of linear warmup.", "线性预热的步数。"),
    "sch.help.warmup.start_factor": ("LR multiplier at the first warmup step.", "预热第一步的学习率倍数。"),
    "sch.help.schedule": (
        "The schedule that runs after the warmup, from its own step 0.",
        "预热结束后运行的调度,从它自己的第 0 步开始。",
    ),
    "sch.help.reduce_lr_on_plateau.mode": (
        "min watches a loss (lower is better); max watches an accuracy.",
        "min 监视损失(越低越好);max 监视准确率。",
    ),
    "sch.help.reduce_lr_on_plateau.factor": (
        "Each cut multiplies the LR by factor.",
        "每次下调把学习率乘以 factor。",
    ),
    "sch.help.patience": (
        "Epochs without improvement tolerated before a cut.",
        "下调前可容忍的无改进周期数。",
    ),
    "sch.help.threshold": (
        "How much better than the best a value must be to count as an improvement.",
        "一个值必须比最优值好多少才算改进。",
    ),
    "sch.help.threshold_mode": (
        "rel: better than `best`·(1 − threshold); abs: better than `best` − threshold (`best`: the best "
        "value so far).",
        "rel:优于 `best`·(1 − threshold);abs:优于 `best` − threshold(`best`:迄今最好的值)。",
    ),
    "sch.help.cooldown": (
        "Epochs after a cut in which bad epochs are not counted.",
        "下调后不统计无改进周期的周期数。",
    ),
    "sch.help.min_lr": ("The LR is never cut below this.", "学习率不会被下调到低于此值。"),
}
