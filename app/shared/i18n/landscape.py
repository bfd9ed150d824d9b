"""Strings of landscape (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    # ---- the practitioner's checks (babysit_panel.py) -----------------------------------------------
    "bs.title": ("Checks: the initial loss and the first layer's filters", "检查：初始损失与第一层卷积核"),
    "bs.initial.head": ("**The initial loss** (check it first, CS231n)", "**初始损失**（先检查它，CS231n）"),
    "bs.initial.lead": (
        "With small random weights each of the {classes} classes gets a probability of about 1/{classes},"
        " so the first training loss should be near $\\ln {classes}$ = {expected}.",
        "权重随机且较小时，{classes} 个类别各得到约 1/{classes} 的概率，所以第一个训练损失应接近"
        " $\\ln {classes}$ = {expected}。",
    ),
    "bs.initial.lane": (
        "{icon} **{label}**: {loss} ({ratio} × $\\ln C$): {verdict}",
        "{icon} **{label}**：{loss}（{ratio} × $\\ln C$）：{verdict}",
    ),
    "bs.initial.none": ("No training loss was recorded.", "没有记录到训练损失。"),
    "bs.initial.no_classes": (
        "The run's data cannot be read now, so its number of classes is unknown.",
        "目前无法读取该运行的数据，因此不知道类别数。",
    ),
    "bs.verdict.expected": ("as expected for random initial weights", "与随机初始权重的预期一致"),
    "bs.verdict.above": (
        "a little high: the first logits are not small (common with BatchNorm before the last layer);"
        " fine if it falls quickly",
        "略高：最初的输出分数不够小（最后一层前有 BatchNorm 时常见）；若很快下降则无妨",
    ),
    "bs.verdict.far_above": (
        "far too high: check the initial weights' scale and the labels",
        "过高：请检查初始权重的尺度和标签",
    ),
    "bs.verdict.low": (
        "below chance before any training: a warm start, or labels that leak into the inputs?",
        "训练前就低于随机水平：是否为热启动，或标签泄漏到了输入中？",
    ),
    "bs.verdict.not_finite": (
        "not a number: check the inputs' scale and the learning rate",
        "不是有限数：请检查输入的尺度和学习率",
    ),
    "bs.filters.head": ("**The first layer's filters**", "**第一层的卷积核**"),
    "bs.filters.lead": (
        "The first convolution's {n} filters of {size} pixels at θ₀ and at a few epoch ends, each scaled"
        " to its own range (grey; a colour image's channels averaged). All lanes start from the same"
        " noise: see how far and how fast each optimizer moves it.",
        "第一个卷积层的 {n} 个 {size} 像素卷积核，分别在 θ₀ 和几个 epoch 结束时显示，每个按自身范围"
        "缩放（灰度；彩色图像的通道取平均）。所有通道都从同一份噪声出发：看看每个优化器把它改变得多远、多快。",
    ),
    "bs.filters.none": (
        "This run recorded no weight paths (runs started before this version), so there are no filters"
        " to show.",
        "该运行没有记录权重路径（在此版本之前开始的运行），因此没有卷积核可显示。",
    ),
    "bs.filters.no_conv": ("The first layer is not a convolution.", "第一层不是卷积层。"),
    "bs.filters.theta0": ("θ₀ (start)", "θ₀（起点）"),
    "bs.filters.epoch": ("epoch {epoch}", "第 {epoch} 个 epoch"),
    # ---- the loss landscape (landscape.py) ------------------------------------------------------------
    "land.title": ("Loss landscape", "损失地形"),
    "land.lead": (
        "Every lane started from the same weights θ₀ and saw the same batches, so their paths can share one"
        " plane through weight space. Pick a plane, compute the loss on a grid over it (a background job),"
        " and see where each optimizer went.",
        "所有通道都从同一组权重 θ₀ 出发、看到相同的批次，所以它们的路径可以画在权重空间中的同一平面上。"
        "选择一个平面，在其上的网格计算损失（后台任务），看看每个优化器走到了哪里。",
    ),
    "land.size": (
        "Recorded paths: {lanes} lanes, {snapshots} snapshots of {params} weights each, {size} on disk"
        " (kept with the run).",
        "已记录路径：{lanes} 个通道，{snapshots} 个快照，每个 {params} 个权重，"
        "占用磁盘 {size}（随运行保存）。",
    ),
    "land.none": (
        "This run recorded no weight paths (runs started before this version), so it has no landscape.",
        "该运行没有记录权重路径（在此版本之前开始的运行），因此没有损失地形。",
    ),
    "land.unreadable": ("The recorded paths cannot be read.", "无法读取已记录的路径。"),
    "land.one_lane": (
        "A plane needs at least two lanes' paths or a random plane: this run has one lane, so only the"
        " random plane around it is offered.",
        "平面需要至少两个通道的路径；该运行只有一个通道，因此只提供围绕它的随机平面。",
    ),
    "land.plane": ("Plane", "平面"),
    "land.plane.runs": ("Through two lanes' ends", "经过两个通道的终点"),
    "land.plane.pca": ("PCA of all paths", "所有路径的 PCA"),
    "land.plane.random": ("Random, filter-normalized", "随机（按卷积核归一化）"),
    "land.plane_help": (
        "Through two lanes: θ₀, and the ends of lanes A and B span the plane (both lie on it). PCA: the two"
        " directions along which all paths vary most. Random: two random directions scaled filter by"
        " filter to the weights around one lane's end (Li et al., 2018), for the sharp-or-flat picture.",
        "经过两个通道：由 θ₀ 与通道 A、B 的终点张成（二者都在平面上）。PCA：所有路径变化最大的两个方向。"
        "随机：围绕某个通道终点的两个随机方向，按卷积核逐个缩放到权重的大小（2018 年提出的按卷积核归一化），"
        "用来看极小值是尖锐还是平坦。",
    ),
    "land.lane_a": ("Lane A", "通道 A"),
    "land.lane_b": ("Lane B", "通道 B"),
    "land.lane_help": (
        "Through two lanes: the plane through θ₀ and the ends of A and B. Random: the plane around A's"
        " end. The line below always runs from A's end to B's.",
        "经过两个通道：经过 θ₀ 与 A、B 终点的平面。随机：围绕 A 终点的平面。"
        "下方的直线总是从 A 的终点到 B 的终点。",
    ),
    "land.grid": ("Grid points per side", "每边网格点数"),
    "land.metric": ("Show", "显示"),
    "land.metric.loss": ("Loss", "损失"),
    "land.metric.accuracy": ("Accuracy", "准确率"),
    "land.three_d": ("3D", "3D"),
    "land.compute": ("Compute the landscape", "计算损失地形"),
    "land.running": (
        "Computing the landscape: {done} of {total} grid points…",
        "正在计算损失地形：{done} / {total} 个网格点…",
    ),
    "land.queued": ("Waiting for the landscape worker…", "正在等待损失地形的后台进程…"),
    "land.not_yet": (
        "Not computed yet for this plane and grid: press the button ({points} evaluations of the network"
        " on {images} validation images).",
        "该平面和网格尚未计算：请点击按钮（在 {images} 张验证图像上对网络求值 {points} 次）。",
    ),
    "land.error": ("The landscape could not be computed: {error}", "无法计算损失地形：{error}"),
    "land.same_lane": ("Choose two different lanes.", "请选择两个不同的通道。"),
    "land.bn": (
        "BatchNorm: the running statistics are not part of a point of the plane, so every grid point"
        " normalizes with the batch statistics of the {images} validation images it is evaluated on"
        " (dropout and drop path off).",
        "BatchNorm：运行统计量不属于平面上的点，因此每个网格点都用其求值所用的 {images} 张验证图像的批统计量"
        "做归一化（关闭 dropout 和 drop path）。",
    ),
    "land.note.runs": (
        "θ₀ is at the origin and A's end on the horizontal axis (coordinates are distances in weight"
        " space); A's and B's ends lie on the plane. Every"
        " path is a projection (dotted when its lane does not define the plane): how far each lies from"
        " the plane is in the table.",
        "θ₀ 位于原点，A 的终点在横轴上（坐标为权重空间中的距离）；A 和 B 的终点都在平面上。"
        "每条路径都是投影（不定义平面的通道画成点线）："
        "各路径离平面有多远见下表。",
    ),
    "land.note.pca": (
        "The plane through θ₀ along the two directions in which all paths vary most: it explains {u} and"
        " {v} of their variance ({total} together).",
        "经过 θ₀、沿所有路径变化最大的两个方向的平面：分别解释其方差的 {u} 和 {v}（合计 {total}）。",
    ),
    "land.note.random": (
        "Two random directions around {lane}'s end, each filter scaled to the norm of the same filter of"
        " its weights (Li et al., 2018; biases and BatchNorm's parameters not moved). The map spans α and"
        " β from −1 to 1 in those directions' units (the axes show weight-space distance). Random"
        " directions are nearly orthogonal to every path, so the paths are mostly far off this plane.",
        "围绕 {lane} 终点的两个随机方向，每个卷积核缩放到其权重中同一卷积核的范数"
        "（2018 年提出的按卷积核归一化；偏置和 BatchNorm 参数不动）。"
        "地图以这两个方向为单位，α 和 β 从 −1 到 1（坐标轴为权重空间距离）。"
        "随机方向几乎与每条路径正交，因此路径大多远离该平面。",
    ),
    "land.axis.runs_u": ("towards A's end", "朝 A 的终点"),
    "land.axis.runs_v": ("towards B's end, ⊥", "朝 B 的终点，正交"),
    "land.axis.pca_u": ("1st principal direction ({share})", "第一主方向（{share}）"),
    "land.axis.pca_v": ("2nd principal direction ({share})", "第二主方向（{share}）"),
    "land.axis.random_u": ("random direction 1 (α = ±1 at the edges)", "随机方向 1（边缘处 α = ±1）"),
    "land.axis.random_v": ("random direction 2 (β = ±1 at the edges)", "随机方向 2（边缘处 β = ±1）"),
    "land.theta0": ("θ₀ (the shared start)", "θ₀（共同起点）"),
    "land.end": ("end", "终点"),
    "land.hover.step": ("step {step} · epoch {epoch}", "第 {step} 步 · 第 {epoch} 个 epoch"),
    "land.hover.recorded": ("training loss recorded: {loss}", "记录的训练损失：{loss}"),
    "land.hover.surface": ("surface under the point: {value}", "该点下方的曲面值：{value}"),
    "land.hover.grid": ("value here: {value}", "此处的值：{value}"),
    "land.off": ("{label} · {fraction} off", "{label} · 偏离 {fraction}"),
    "land.col.lane": ("Lane", "通道"),
    "land.col.defines": ("Defines the plane", "定义平面"),
    "land.col.distance": ("Largest distance from the plane", "离平面的最大距离"),
    "land.col.length": ("Path length", "路径长度"),
    "land.col.fraction": ("Distance / length", "距离 / 长度"),
    "land.yes": ("yes", "是"),
    "land.no": ("no", "否"),
    "land.interp.head": (
        "**Between two solutions** (Goodfellow et al., 2015)",
        "**两个解之间**（2015 年的线性插值实验）",
    ),
    "land.interp.lead": (
        "The loss along the straight line (1 − α)·θ_A + α·θ_B from A's end (α = 0) to B's (α = 1), and a"
        " little beyond: a bump between them is a barrier between the two minima.",
        "沿直线 (1 − α)·θ_A + α·θ_B 的损失，从 A 的终点（α = 0）到 B 的终点（α = 1）并略超出两端："
        "两者之间的隆起就是两个极小值之间的势垒。",
    ),
    "land.interp.compute": ("Compute the line", "计算这条直线"),
    "land.interp.x": ("α (0: A's end, 1: B's end)", "α（0：A 的终点，1：B 的终点）"),
    "land.interp.barrier": (
        "Barrier: the loss rises up to **{barrier}** above the straight line joining the two ends.",
        "势垒：损失最多比连接两端的直线高出 **{barrier}**。",
    ),
    "land.interp.no_barrier": (
        "No barrier: the loss never rises above the straight line joining the two ends.",
        "没有势垒：损失从未高于连接两端的直线。",
    ),
    # LandscapeError keys (optim_core.training.landscape): "landscape.<key>"
    "landscape.missing_lane": ("The run has no recorded path for {lane}.", "该运行没有 {lane} 的记录路径。"),
    "landscape.not_moved": ("{lane} has not moved from θ₀.", "{lane} 没有离开 θ₀。"),
    "landscape.collinear": (
        "The ends of {a} and {b} lie on one line through θ₀: they span no plane.",
        "{a} 和 {b} 的终点与 θ₀ 共线：无法张成平面。",
    ),
    "landscape.pca_rank": ("The paths span fewer than two directions.", "路径张成的方向少于两个。"),
    "landscape.no_filters": (
        "{lane} has no non-zero filter to scale by.",
        "{lane} 没有可用于缩放的非零卷积核。",
    ),
}
