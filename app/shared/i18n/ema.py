"""Strings of the EMA page."""

STRINGS = {
    "ema.title": ("Exponential moving average", "指数移动平均(EMA)"),
    "ema.lead": (
        "An EMA smooths a noisy series by mixing each new point into a running value: "
        "v ← β·v + (1 − β)·θ. Move β and watch the window grow, the lag appear and, at the start, the "
        "bias towards 0 that bias correction removes.",
        "EMA 把每个新数据点按比例混入一个运行中的值来平滑噪声序列:v ← β·v + (1 − β)·θ。"
        "拖动 β,观察窗口变长、滞后出现,以及开头那段偏向 0、需要偏差修正来消除的偏差。",
    ),
    "ema.data": ("Data", "数据"),
    "ema.source": ("Series", "序列"),
    "ema.source.temperatures": ("Daily temperatures", "每日气温"),
    "ema.source.upload": ("Upload a CSV", "上传 CSV"),
    "ema.source.run": ("Loss of a training run", "训练运行的损失"),
    "ema.run": ("Saved run", "已保存的运行"),
    "ema.run_label": (
        "#{id} · {status} · {optimizers} · {date}",
        "运行 #{id} · {status} · {optimizers} · {date}",
    ),
    "ema.lane": ("Optimizer", "优化器"),
    "ema.run_caption": (
        "The training loss of every optimizer step, as the Training page recorded it: the noisy series an "
        "EMA is there to smooth.",
        "训练页面记录的每个优化步的训练损失:这正是 EMA 要平滑的那种噪声序列。",
    ),
    "ema.runs_missing": (
        "No finished or stopped training run yet: showing the generated temperatures until the Training "
        "page has saved one.",
        "还没有已完成或已停止的训练运行:在训练页面保存运行之前,先显示生成的气温数据。",
    ),
    "ema.runs_open_training": ("Open the Training page", "打开训练页面"),
    "ema.run_empty": (
        "Run #{id} has no training loss yet: showing the generated temperatures.",
        "运行 #{id} 还没有训练损失:改为显示生成的气温数据。",
    ),
    "ema.train_loss": ("training loss ({lane})", "训练损失({lane})"),
    "ema.step": ("optimizer step t", "第 t 个优化步"),
    "ema.seed": ("Weather seed", "天气随机种子"),
    "ema.seed_help": (
        "A generated year of daily mean temperatures (°C): a seasonal cycle plus day-to-day weather. "
        "The same seed always gives the same year.",
        "生成的一年每日平均气温(°C):季节周期加上每天的天气波动。相同的种子总是生成相同的一年。",
    ),
    "ema.upload": ("CSV file", "CSV 文件"),
    "ema.upload_help": (
        "UTF-8 or GBK text; comma, semicolon or tab separated; an optional header row; at most 10 MB.",
        "UTF-8 或 GBK 编码的文本;以逗号、分号或制表符分隔;可带表头行;最大 10 MB。",
    ),
    "ema.upload_caption": (
        "An uploaded file stays in this browser tab only: it cannot be part of the link, and a refresh "
        "forgets it.",
        "上传的文件只保留在当前浏览器标签页中:它无法写入链接,刷新页面后也会丢失。",
    ),
    "ema.upload_missing": (
        "No file uploaded yet (uploads are not kept in the link or across a refresh): showing the "
        "generated temperatures until you upload a CSV in the sidebar.",
        "尚未上传文件(上传内容不会保存在链接中,刷新后也会丢失):在你从侧边栏上传 CSV 之前,先显示生成的气温数据"
        "。",
    ),
    "ema.column": ("Column", "数据列"),
    "ema.csv.title": ("{name!r} cannot be used:", "无法使用 {name!r}:"),
    "ema.csv.fallback": ("Showing the generated temperatures instead.", "改为显示生成的气温数据。"),
    "ema.csv.empty": ("the file is empty.", "文件是空的。"),
    "ema.csv.too_large": (
        "the file is {size}, larger than the {limit} limit. Upload a shorter series (for example every "
        "10th row).",
        "文件大小为 {size},超过了 {limit} 的上限。请上传更短的序列(例如每 10 行取一行)。",
    ),
    "ema.csv.encoding": (
        "it is not UTF-8 or GBK text (it may be an Excel workbook or another binary file). Save it as "
        '"CSV UTF-8" and upload it again.',
        "它不是 UTF-8 或 GBK 编码的文本(可能是 Excel 工作簿或其他二进制文件)。请另存为“CSV UTF-8”后重新上传"
        "。",
    ),
    "ema.csv.malformed": (
        "line {line} has {saw} cells, but the table has {expected} columns. Check the delimiter and that "
        "every row has as many cells as the header.",
        "第 {line} 行有 {saw} 个单元格,但表格只有 {expected} 列。请检查分隔符,并确保每行的单元格数与表头一致"
        "。",
    ),
    "ema.csv.malformed_shape": (
        "it is not a regular table: a row has more cells than the header has column names. Check the "
        "delimiter.",
        "它不是规整的表格:某一行的单元格比表头的列名多。请检查分隔符。",
    ),
    "ema.csv.header_only": (
        "it has only a header line ({header}) and no data rows below it.",
        "它只有表头行({header}),下面没有数据行。",
    ),
    "ema.csv.no_rows": ("it has rows, but none of them holds a value.", "它有若干行,但没有一行包含数值。"),
    "ema.csv.no_numeric": (
        "no column holds numbers (found: {columns}). The series needs at least one column of numbers.",
        "没有任何一列是数字(找到的列:{columns})。至少需要一列数字才能构成序列。",
    ),
    "ema.temperature": ("Temperature (°C)", "气温(°C)"),
    "ema.day": ("Day t", "第 t 天"),
    "ema.row": ("Row t", "第 t 行"),
    "ema.beta": ("β (decay)", "β(衰减系数)"),
    "ema.beta_help": (
        "How much of the running value each step keeps. Larger β: a longer window, a smoother curve and "
        "more lag. β = 0 returns the data itself.",
        "每一步保留多少运行中的值。β 越大:窗口越长、曲线越平滑、滞后越多。β = 0 时就是数据本身。",
    ),
    "ema.debias": ("Bias correction", "偏差修正"),
    "ema.debias_help": (
        "Divide by 1 − βᵗ, as Adam and TensorBoard do. Off: the course-notes EMA from v₀ = 0, which "
        "starts too low (the corrected curve stays behind its legend entry).",
        "除以 1 − βᵗ,与 Adam 和 TensorBoard 相同。关闭时显示从 v₀ = 0 开始的课堂版 EMA,它一开始偏低"
        "(修正后的曲线仍可通过点击图例显示)。",
    ),
    "ema.trace.raw": ("data θₜ", "数据 θₜ"),
    "ema.trace.ema": ("EMA vₜ (no correction)", "EMA vₜ(未修正)"),
    "ema.trace.ema_hat": ("EMA v̂ₜ (bias-corrected)", "EMA v̂ₜ(偏差修正)"),
    "ema.trace.sma": ("SMA, window {window}", "简单移动平均,窗口 {window}"),
    "ema.bias_band": ("early bias: first {steps} steps", "初期偏差:前 {steps} 步"),
    "ema.series_caption": (
        "Shaded: the first {steps} steps, where βᵗ > 5 % and the uncorrected EMA (blue, started at "
        "v₀ = 0) is still noticeably pulled towards 0. The corrected EMA (orange) divides by 1 − βᵗ and "
        "starts on the data. Green dashes: the simple moving average of the same window, for comparison "
        "(β = {beta}).",
        "阴影:前 {steps} 步,此时 βᵗ > 5%,未修正的 EMA(蓝色,从 v₀ = 0 开始)仍明显偏向 0。"
        "修正后的 EMA(橙色)除以 1 − βᵗ,从一开始就贴合数据。绿色虚线:相同窗口的简单移动平均,用于对比(β = "
        "{beta})。",
    ),
    "ema.series_caption_unbiased": (
        "With β = {beta} every curve is the data itself: there is no early bias to shade ({steps} steps).",
        "当 β = {beta} 时,每条曲线都就是数据本身:没有需要标出的初期偏差({steps} 步)。",
    ),
    "ema.thinned": (
        "The chart draws {shown:,} of the {n:,} points; the averages use all of them.",
        "图中绘制了 {n:,} 个点中的 {shown:,} 个;平均值使用全部数据计算。",
    ),
    "ema.kernel_title": ("Which points the newest value averages", "最新的值平均了哪些点"),
    "ema.trace.weights": ("EMA weight (1 − β)·βᵏ", "EMA 权重 (1 − β)·βᵏ"),
    "ema.trace.sma_weights": ("SMA weight 1/{window}", "SMA 权重 1/{window}"),
    "ema.window_mark": ("window 1/(1−β) = {window}", "窗口 1/(1−β) = {window}"),
    "ema.age": ("k: steps back from the newest point", "k:距最新数据点的步数"),
    "ema.weight": ("weight", "权重"),
    "ema.formulas": ("The formulas", "公式"),
    "ema.window_text": (
        "With β = {beta} the EMA averages over roughly the last **{window} points** (1/(1 − β)): every "
        "weight is β times the one after it, so a point {age} steps old counts only about **{percent} %** "
        "as much as the newest one (≈ 1/e). The SMA beside it averages exactly the last {sma} points with "
        "equal weights.",
        "当 β = {beta} 时,EMA 大约平均了最近的 **{window} 个点**(1/(1 − β)):每个权重都是后一个的 β 倍,"
        "因此 {age} 步之前的点的权重只有最新点的约 **{percent}%**(≈ 1/e)。旁边的简单移动平均则以相同权重"
        "平均最近的 {sma} 个点。",
    ),
    "ema.window_zero": (
        "With β = 0 the window is a single point: the EMA is the data itself.",
        "当 β = 0 时窗口只有一个点:EMA 就是数据本身。",
    ),
    "ema.window_long": (
        "The window ({window} points) is longer than the series ({n} points): the uncorrected EMA never "
        "leaves its early bias, and the corrected one is close to a plain running mean.",
        "窗口({window} 个点)比序列({n} 个点)还长:未修正的 EMA 始终摆脱不了初期偏差,而修正后的 EMA 接近普通的"
        "累积平均。",
    ),
    "ema.adam.title": ("Inside Adam: momentum is an EMA of the gradient", "深入 Adam:动量就是梯度的 EMA"),
    "ema.adam.lead": (
        "Run one optimizer on a 2D surface and look at the buffers it keeps, one axis at a time. Adam's "
        "m is an EMA of the gradients g with β₁ and its v an EMA of g² with β₂, both started at 0; the "
        "bias-corrected m̂ = m/(1 − β₁ᵗ) and v̂ = v/(1 − β₂ᵗ) are what it actually steps with.",
        "在二维曲面上运行一个优化器,逐个坐标轴查看它保存的缓冲量。Adam 的 m 是梯度 g 以 β₁ 计算的 EMA,"
        "v 是 g² 以 β₂ 计算的 EMA,两者都从 0 开始;它真正用来更新的是偏差修正后的 m̂ = m/(1 − β₁ᵗ) 和 v̂ = "
        "v/(1 − β₂ᵗ)。",
    ),
    "ema.adam.surface": ("Surface", "曲面"),
    "ema.adam.optimizer": ("Optimizer", "优化器"),
    "ema.adam.noise": ("Gradient", "梯度"),
    "ema.adam.lr": ("Learning rate (log scale)", "学习率(对数刻度)"),
    "ema.adam.steps": ("Steps", "步数"),
    "ema.adam.axis": ("Axis", "坐标轴"),
    "ema.adam.first": ("First moment, axis {axis}", "一阶矩,{axis} 轴"),
    "ema.adam.second": ("Second moment, axis {axis}", "二阶矩,{axis} 轴"),
    "ema.adam.g": ("gradient g ({axis})", "梯度 g({axis})"),
    "ema.adam.m": ("m = EMA of g, β = {beta}", "m = g 的 EMA,β = {beta}"),
    "ema.adam.m_hat": ("m̂ = m / (1 − β₁ᵗ)", "m̂ = m / (1 − β₁ᵗ)"),
    "ema.adam.g_axis": ("g ({axis})", "g({axis})"),
    "ema.adam.g2": ("g² ({axis})", "g²({axis})"),
    "ema.adam.v": ("v = EMA of g², β = {beta}", "v = g² 的 EMA,β = {beta}"),
    "ema.adam.v_hat": ("v̂ = v / (1 − β₂ᵗ)", "v̂ = v / (1 − β₂ᵗ)"),
    "ema.adam.g2_axis": ("g² ({axis})", "g²({axis})"),
    "ema.adam.step": ("step t", "第 t 步"),
    "ema.adam.log_v": ("Log scale for g² and v", "g² 与 v 使用对数刻度"),
    "ema.adam.no_second": (
        "{name} keeps no second moment: its only buffer is the EMA of the gradient on the left.",
        "{name} 没有二阶矩:它唯一的缓冲量就是左侧梯度的 EMA。",
    ),
    "ema.adam.check": (
        "Check: the buffers this run recorded equal optim_core.smoothing.ema of its gradients "
        "(debias=False) to a relative difference of {gap}. Momentum is literally an EMA (β = {beta}).",
        "校验:本次运行记录的缓冲量与对其梯度调用 optim_core.smoothing.ema(debias=False)的结果"
        "相对差异为 {gap}。动量确实就是 EMA(β = {beta})。",
    ),
    "ema.adam.explain": (
        "Why the correction matters: after the first step m₁ = (1 − β₁)·g₁ = {m1}·g₁, because m started at "
        "0 (β₁ = {b1}). Stepping with m would make the first steps far too short; v, with β₂ = 0.999, "
        "stays biased for thousands of steps. Dividing by 1 − βᵗ (orange, dashed) puts both on the scale of "
        "the gradient from step 1, and the correction fades once βᵗ is small (end of the shaded band).",
        "为什么需要修正:第一步之后 m₁ = (1 − β₁)·g₁ = {m1}·g₁,因为 m 从 0 开始(β₁ = {b1})。"
        "若直接用 m 更新,最初几步会太短;而 β₂ = 0.999 的 v 会在数千步内一直偏低。除以 1 − βᵗ(橙色虚线)"
        "让两者从第 1 步起就与梯度同一量级;当 βᵗ 变小(阴影带结束)后,修正就几乎不起作用了。",
    ),
}
