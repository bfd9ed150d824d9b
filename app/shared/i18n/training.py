"""Strings of the Training page."""

STRINGS = {
    "tr.title": ("Live training", "实时训练"),
    "tr.lead": (
        "Train one small CNN with several optimizers at once: every optimizer starts from the same weights "
        "and sees the same batches in the same order, so the curves differ only by the optimizer. Runs are "
        "background jobs: close the tab, come back through the link, and the run is still there.",
        "用多个优化器同时训练同一个小型 CNN:每个优化器都从相同的初始权重出发,以相同顺序看到相同的批次,"
        "因此曲线的差别只来自优化器本身。训练在后台作业中运行:关掉标签页,稍后通过链接回来,运行仍然在那里。",
    ),
    # sidebar sections
    "tr.section.data": ("Data", "数据"),
    "tr.section.model": ("Model and device", "模型与设备"),
    "tr.section.loop": ("Training loop", "训练循环"),
    "tr.section.optimizers": ("Optimizers", "优化器"),
    "tr.section.tricks": ("Tricks", "训练技巧"),
    # data
    "tr.data": ("Dataset", "数据集"),
    "tr.data_help": (
        "Digits needs nothing. The other formats read a folder on the server (a local path) or a zip you "
        "upload here.",
        "手写数字无需任何准备。其他格式读取服务器上的文件夹(本地路径),或你在这里上传的 zip 文件。",
    ),
    "tr.data.digits": ("Digits (8×8, bundled)", "手写数字(8×8,内置)"),
    "tr.data.auto": ("Local folder (format detected)", "本地文件夹(自动识别格式)"),
    "tr.data.idx": ("MNIST / Fashion-MNIST (IDX files)", "MNIST / Fashion-MNIST(IDX 文件)"),
    "tr.data.cifar10": ("CIFAR-10 (python batches)", "CIFAR-10(python 版批次文件)"),
    "tr.data.folder": ("Image folder (one folder per class)", "图片文件夹(每类一个子文件夹)"),
    "tr.data.food11": ("HW3 food-11 (training/, validation/)", "HW3 food-11(training/、validation/)"),
    "tr.data.upload": ("Upload a zip", "上传 zip"),
    "tr.path": ("Folder on the server", "服务器上的文件夹"),
    "tr.path_help": (
        "The folder that holds the dataset, e.g. the one with train-images-idx3-ubyte.gz, with "
        "data_batch_1 … 5, with one sub-folder per class, or with training/ and validation/.",
        "存放数据集的文件夹,例如包含 train-images-idx3-ubyte.gz、包含 data_batch_1 … 5、每类一个子文件夹,"
        "或包含 training/ 与 validation/ 的文件夹。",
    ),
    "tr.path_placeholder": ("e.g. /data/mnist", "例如 /data/mnist"),
    "tr.need_path": (
        "Enter the folder that holds the dataset in the sidebar to train on it.",
        "请在侧边栏填写数据集所在的文件夹,才能用它训练。",
    ),
    "tr.need_upload": (
        "Upload a zip of the dataset folder in the sidebar to train on it.",
        "请在侧边栏上传数据集文件夹的 zip 压缩包,才能用它训练。",
    ),
    "tr.upload": ("Dataset zip", "数据集 zip"),
    "tr.upload_help": (
        "A zip of any of the folder formats above. It is unpacked on the server once (at most 512 MiB "
        "unpacked); entries that climb out of the folder or are links are refused.",
        "上面任一种文件夹格式的 zip 压缩包。它只在服务器上解压一次(解压后最大 512 MiB);"
        "试图跳出文件夹或是符号链接的条目会被拒绝。",
    ),
    "tr.upload_id": ("Uploaded dataset", "已上传的数据集"),
    "tr.upload_caption": (
        "The unpacked dataset stays on the server, so the link keeps working after a refresh.",
        "解压后的数据集保存在服务器上,因此刷新后链接依然有效。",
    ),
    "tr.upload_done": (
        "Unpacked {files} files; {skipped} files that are neither images nor dataset files were skipped.",
        "已解压 {files} 个文件;跳过了 {skipped} 个既不是图片也不是数据集文件的文件。",
    ),
    "tr.upload_skipped": ("For example: {examples}.", "例如:{examples}。"),
    "tr.upload_error": ("{name!r} cannot be used: {error}", "无法使用 {name!r}:{error}"),
    "tr.img": ("Image side (0 = automatic)", "图像边长(0 = 自动)"),
    "tr.img_help": (
        "Images are resized to this many pixels square. Automatic keeps a common size up to 64 px, "
        "otherwise uses 32 px.",
        "图像会缩放为该边长的正方形。自动:若所有图像尺寸相同且不超过 64 像素则保持原样,否则使用 32 像素。",
    ),
    "tr.val": ("Validation split", "验证集比例"),
    "tr.val_help": (
        "The fraction held out for validation, always the same images whatever the seed. Formats that "
        "ship their own test split (MNIST t10k, CIFAR test_batch, HW3 validation/) use that instead.",
        "留作验证集的比例;无论随机种子如何,都是同一批图像。自带测试集的格式(MNIST t10k、CIFAR test_batch、"
        "HW3 validation/)会改用自带的那一份。",
    ),
    "tr.subset": ("Images per split (0 = all)", "每个划分的图像数(0 = 全部)"),
    "tr.subset_help": (
        "A fixed random subset of the training and of the validation images: large sets stay quick on a CPU.",
        "从训练集和验证集中各取固定的随机子集:在 CPU 上使用大数据集时也能较快完成。",
    ),
    "tr.data_error": ("The dataset cannot be loaded: {error}", "无法加载数据集:{error}"),
    "tr.loading_data": ("Reading the dataset…", "正在读取数据集……"),
    "tr.data_line": (
        "**Data** · {name}: {train} training and {val} validation images of {shape}, {classes} classes",
        "**数据** · {name}:{train} 张训练图像、{val} 张验证图像,尺寸 {shape},{classes} 个类别",
    ),
    "tr.skipped": (
        "{n} files were not readable images and were skipped.",
        "有 {n} 个文件不是可读取的图像,已跳过。",
    ),
    "tr.steps_line": (
        "{per_epoch} optimizer steps per epoch, {total} in the whole run.",
        "每个 epoch {per_epoch} 个优化步,整个运行共 {total} 步。",
    ),
    "tr.steps_line.one": (
        "1 optimizer step per epoch, {total} in the whole run.",
        "每个 epoch 1 个优化步,整个运行共 {total} 步。",
    ),
    # model and device
    "tr.width": ("Width (× 16, 32, 64, 128 channels)", "宽度(× 16、32、64、128 个通道)"),
    "tr.width_help": (
        "Multiplies the channels of every conv block. Smaller is faster; 0.5 trains digits in seconds.",
        "把每个卷积块的通道数乘以该倍数。越小越快;0.5 时几秒就能训练完手写数字。",
    ),
    "tr.bn": ("BatchNorm", "批归一化(BatchNorm)"),
    "tr.bn_help": ("A BatchNorm layer after every convolution.", "每个卷积层之后加一个 BatchNorm 层。"),
    "tr.dropout": ("Dropout", "Dropout(随机失活)"),
    "tr.dropout_help": (
        "Dropout before the last layer; every optimizer gets the same mask at the same step.",
        "在最后一层之前使用 Dropout;在同一步,每个优化器得到相同的掩码。",
    ),
    "tr.dropout_p": ("Dropout probability", "Dropout 概率"),
    "tr.device": ("Device", "设备"),
    "tr.device.auto": ("Automatic (GPU if there is one)", "自动(有 GPU 则用 GPU)"),
    "tr.device.cuda": ("CUDA GPU", "CUDA 显卡(GPU)"),
    "tr.device.mps": ("Apple MPS", "Apple MPS(苹果芯片)"),
    "tr.device.cpu": ("CPU", "CPU"),
    "tr.device_error": ("The device cannot be used: {error}", "无法使用该设备:{error}"),
    "tr.device_line": ("**Device** · {device}", "**设备** · {device}"),
    # the device line's text (optim_core.training.device.device_facts)
    "tr.device_line.cuda": (
        "CUDA: {name} ({gib} GiB, torch {torch})",
        "CUDA:{name}({gib} GiB,torch {torch})",
    ),
    "tr.device_line.mps": ("Apple MPS (torch {torch})", "Apple MPS(torch {torch})"),
    "tr.device_line.cpu": (
        "CPU: {threads} torch threads on {cores} cores (torch {torch})",
        "CPU:{cores} 个核心上的 {threads} 个 torch 线程(torch {torch})",
    ),
    "tr.workers_line": (
        "{workers} training worker(s), {threads} torch thread(s) each; further runs wait in the queue.",
        "{workers} 个训练进程,每个使用 {threads} 个 torch 线程;其余运行在队列中等待。",
    ),
    "tr.params_line": (
        "**Model** · {count} parameters, {n} copies from the same initial weights",
        "**模型** · {count} 个参数,{n} 份副本,初始权重完全相同",
    ),
    "tr.params_line.one": (
        "**Model** · {count} parameters, 1 copy from the same initial weights",
        "**模型** · {count} 个参数,1 份副本,初始权重完全相同",
    ),
    # loop
    "tr.epochs": ("Epochs", "Epoch 数"),
    "tr.epochs_help": ("Passes over the training images.", "遍历训练图像的次数。"),
    "tr.bs": ("Batch size", "批大小"),
    "tr.bs_help": (
        "Images per batch (per micro-batch when gradients are accumulated).",
        "每个批次的图像数(累积梯度时为每个微批次的图像数)。",
    ),
    "tr.seed": ("Seed", "随机种子"),
    "tr.seed_help": (
        "Decides the initial weights, the batch order and the dropout masks: the same seed repeats a run "
        "exactly.",
        "决定初始权重、批次顺序与 Dropout 掩码:相同的种子会精确复现一次运行。",
    ),
    # optimizers
    "tr.lanes": ("Number of optimizers", "优化器个数"),
    "tr.lane": ("Optimizer {n}", "优化器 {n}"),
    "tr.optimizer": ("Optimizer", "优化器"),
    "tr.lr": ("Learning rate (log scale)", "学习率(对数刻度)"),
    "tr.lr_help": (
        "The LR range test below suggests one and can copy it here.",
        "下方的学习率范围测试会给出建议值,并可一键填入这里。",
    ),
    "tr.sweep": ("Batch-size sweep", "批大小扫描"),
    "tr.sweep_help": (
        "Train optimizer 1 once per batch size instead of several optimizers: small batches take many noisy "
        "steps, the full batch takes one exact step per epoch.",
        "不比较多个优化器,而是用优化器 1 在每个批大小下各训练一次:小批次走很多步但噪声大,全批次每个 epoch "
        "只走一步但梯度精确。",
    ),
    "tr.sweep_sizes": ("Batch sizes", "批大小列表"),
    "tr.sweep_sizes_help": (
        "Comma-separated whole numbers, and full for the whole training set.",
        "用逗号分隔的整数;full 表示整个训练集。",
    ),
    "tr.sweep_caption": ("The sweep trains optimizer 1 only.", "扫描只训练优化器 1。"),
    "tr.sweep_error": ("Batch sizes: {error}.", "批大小:{error}。"),
    # tricks
    "tr.decay": ("Weight decay λ", "权重衰减 λ"),
    "tr.decay_help": (
        "0 leaves each optimizer at its own default (AdamW's is 0.01).",
        "为 0 时每个优化器使用自己的默认值(AdamW 的默认值为 0.01)。",
    ),
    "tr.decay_mode": ("Weight decay form", "权重衰减形式"),
    "tr.decay_mode.l2": ("L2: g ← g + λθ", "L2:g ← g + λθ"),
    "tr.decay_mode.decoupled": ("Decoupled: θ ← θ(1 − ηλ)", "解耦:θ ← θ(1 − ηλ)"),
    "tr.decay_mode_help": (
        "L2 adds λθ to the gradient, so Adam rescales it; decoupled shrinks the weights directly before the "
        "step, as AdamW does.",
        "L2 把 λθ 加到梯度上,因此会被 Adam 重新缩放;解耦形式在更新前直接缩小权重,与 AdamW 相同。",
    ),
    "tr.clipping": ("Gradient clipping", "梯度裁剪"),
    "tr.clipping_help": (
        "Rescale the gradient when its total norm exceeds the maximum (torch.nn.utils.clip_grad_norm_; "
        "HW3 uses 10).",
        "当梯度总范数超过上限时按比例缩小(torch.nn.utils.clip_grad_norm_;HW3 使用 10)。",
    ),
    "tr.max_norm": ("Maximum gradient norm", "梯度范数上限"),
    "tr.warmup": ("Warmup steps", "预热步数"),
    "tr.warmup_help": (
        "The LR grows linearly from lr/warmup to lr over the first steps, then the schedule takes over.",
        "学习率在最初的若干步内从 lr/预热步数 线性增长到 lr,之后交给学习率调度。",
    ),
    "tr.schedule_caption": (
        "A schedule of every optimizer's own LR; eta_min, base_lr and max_lr are absolute LRs.",
        "作用于每个优化器自身学习率的调度;eta_min、base_lr 和 max_lr 是绝对学习率。",
    ),
    "tr.schedule_error": ("LR schedule: {error}", "学习率调度:{error}"),
    "tr.lrs_unit": ("Schedule counts", "调度计数单位"),
    "tr.lrs_unit.step": ("optimizer steps", "优化步"),
    "tr.lrs_unit.epoch": ("epochs", "轮次(epoch)"),
    "tr.wema": ("EMA of the weights", "权重的指数移动平均"),
    "tr.wema_help": (
        "Keep an exponential moving average of the weights (torch AveragedModel) and validate it beside "
        "the raw weights.",
        "保存权重的指数移动平均(torch AveragedModel),并与原始权重一起在验证集上评估。",
    ),
    "tr.wema_decay": ("EMA decay", "EMA 衰减系数"),
    "tr.accum": ("Gradient accumulation (micro-batches per step)", "梯度累积(每步的微批次数)"),
    "tr.accum_help": (
        "Sum the gradients of this many batches before each optimizer step: a batch this many times larger "
        "without the memory.",
        "每次优化步之前累积这么多个批次的梯度:相当于批次扩大这么多倍,却不需要相应的显存。",
    ),
    "tr.early": ("Early stopping", "提前停止"),
    "tr.early_help": (
        "Stop an optimizer once its validation accuracy has not improved for more than `patience` epochs.",
        "当某个优化器的验证准确率连续超过 patience 个 epoch 没有提升时,停止该优化器。",
    ),
    "tr.patience": ("Patience (epochs)", "耐心值(epoch)"),
    "tr.keep_best": ("Keep the best checkpoint", "保留最佳检查点"),
    "tr.keep_best_help": (
        "Remember each optimizer's weights at its best validation accuracy.",
        "记住每个优化器在验证准确率最高时的权重。",
    ),
    "tr.config_error": ("This configuration cannot run: {error}", "该配置无法运行:{error}"),
    # start, queue
    "tr.start": ("Start training", "开始训练"),
    "tr.queue_line": (
        "{running} running, {queued} queued; {workers} run(s) train at a time.",
        "{running} 个正在运行,{queued} 个在排队;同时最多训练 {workers} 个运行。",
    ),
    # LR range test
    "tr.lrt.title": ("LR range test", "学习率范围测试"),
    "tr.lrt.lead": (
        "Raise the learning rate exponentially from 10⁻⁷ to 1, one batch per step from fresh weights, and "
        "watch the loss (Leslie Smith's test). A good LR sits where the smoothed loss falls fastest, well "
        "before it shoots up. The test runs in its own process, so the page and other users keep working.",
        "从新的初始权重出发,每一步用一个批次,把学习率从 10⁻⁷ 指数增大到 1,观察损失(Leslie Smith 的测试)。"
        "好的学习率位于平滑后的损失下降最快的地方,远在损失飙升之前。测试在独立进程中运行,页面和其他用户不受影"
        "响。",
    ),
    "tr.lrt.lane": ("Optimizer to test", "要测试的优化器"),
    "tr.lrt.steps": ("Steps", "步数"),
    "tr.lrt.run": ("Run the LR range test", "运行学习率范围测试"),
    "tr.lrt.none": ("No test for these settings yet.", "这些设置下还没有测试结果。"),
    "tr.lrt.running": ("Testing {name}…", "正在测试 {name}……"),
    "tr.lrt.error": ("The LR range test failed: {error}", "学习率范围测试失败:{error}"),
    "tr.lrt.chart": ("Loss while the LR grows: {name}", "学习率增大时的损失:{name}"),
    "tr.lrt.x": ("learning rate (log scale)", "学习率(对数刻度)"),
    "tr.lrt.y": ("training loss", "训练损失"),
    "tr.lrt.raw": ("loss of each batch", "每个批次的损失"),
    "tr.lrt.smoothed": ("smoothed (EMA, β = 0.98)", "平滑后(EMA,β = 0.98)"),
    "tr.lrt.suggested_mark": ("suggested {lr}", "建议值 {lr}"),
    "tr.lrt.result": (
        "Steepest descent of the smoothed loss at **lr = {suggested}**; the classic rule (the minimum ÷ 10) "
        "gives {min_over_10}. On the slider's grid: {snapped}.",
        "平滑损失下降最陡处为 **lr = {suggested}**;经典规则(最低点 ÷ 10)给出 {min_over_10}。"
        "对应滑块刻度上的值:{snapped}。",
    ),
    "tr.lrt.diverged": (
        "The loss blew up before the largest LR: the sweep stopped there.",
        "在达到最大学习率之前损失就爆炸了:扫描在那里停止。",
    ),
    "tr.lrt.use": ("Use lr = {lr} for optimizer {n}", "为优化器 {n} 使用 lr = {lr}"),
    # the open run
    "tr.run": ("Run", "运行"),
    "tr.run_missing": (
        "Run #{id} does not exist (it was deleted, or the link comes from another server).",
        "运行 #{id} 不存在(它已被删除,或链接来自另一台服务器)。",
    ),
    "tr.run_title": ("Run #{id} · {dataset}", "运行 #{id} · {dataset}"),
    "tr.no_run": (
        "No run is open. Start one, or open a saved run from the history below.",
        "当前没有打开的运行。开始一个新的运行,或从下方的历史记录中打开已保存的运行。",
    ),
    "tr.cap.loop": (
        "{epochs} epochs · batch {bs} · seed {seed} · width {width}",
        "{epochs} 个 epoch · 批大小 {bs} · 种子 {seed} · 宽度 {width}",
    ),
    "tr.cap.loop.one": (
        "1 epoch · batch {bs} · seed {seed} · width {width}",
        "1 个 epoch · 批大小 {bs} · 种子 {seed} · 宽度 {width}",
    ),
    "tr.cap.sweep": ("batch sizes {sizes}", "批大小 {sizes}"),
    "tr.cap.decay.l2": ("L2 decay {value}", "L2 衰减 {value}"),
    "tr.cap.decay.decoupled": ("decoupled decay {value}", "解耦衰减 {value}"),
    "tr.cap.clip": ("clip at {value}", "裁剪上限 {value}"),
    "tr.cap.warmup": ("warmup {steps} steps", "预热 {steps} 步"),
    "tr.cap.schedule": ("schedule {name}", "调度 {name}"),
    "tr.cap.ema": ("weight EMA {value}", "权重 EMA {value}"),
    "tr.cap.accum": ("accumulate {steps} batches", "累积 {steps} 个批次"),
    "tr.cap.early": ("early stopping, patience {patience}", "提前停止,耐心值 {patience}"),
    "tr.cap.dropout": ("dropout {value}", "随机失活 {value}"),
    "tr.cap.no_bn": ("no BatchNorm", "无批归一化"),
    "tr.stop": ("Stop", "停止"),
    "tr.stopping": ("Stopping after the current step…", "将在当前这一步之后停止……"),
    "tr.resume": ("Resume", "继续"),
    "tr.resume_help": (
        "Queue the run again; it continues from its last checkpoint exactly as if it had never stopped.",
        "重新排队;运行会从最后一个检查点继续,结果与从未停止完全一样。",
    ),
    "tr.close": ("Close", "关闭"),
    "tr.status.queued": ("queued", "排队中"),
    "tr.status.running": ("running", "运行中"),
    "tr.status.finished": ("finished", "已完成"),
    "tr.status.stopped": ("stopped", "已停止"),
    "tr.status.interrupted": ("interrupted", "已中断"),
    "tr.status.failed": ("failed", "失败"),
    "tr.queued": (
        "Waiting in the queue at position {position} ({running} run(s) training now).",
        "正在队列中等待,位置 {position}(当前有 {running} 个运行在训练)。",
    ),
    "tr.progress": (
        "Epoch {epoch} of {epochs} · {percent} % · {elapsed} s",
        "第 {epoch}/{epochs} 个 epoch · {percent}% · {elapsed} 秒",
    ),
    "tr.finished": (
        "Finished {epochs} epochs in {elapsed} s.",
        "已完成 {epochs} 个 epoch,用时 {elapsed} 秒。",
    ),
    "tr.finished.one": (
        "Finished 1 epoch in {elapsed} s.",
        "已完成 1 个 epoch,用时 {elapsed} 秒。",
    ),
    "tr.stopped": (
        "Stopped after epoch {epoch}. Resume continues from the checkpoint.",
        "在第 {epoch} 个 epoch 之后停止。点击“继续”会从检查点接着训练。",
    ),
    "tr.interrupted": (
        "Interrupted ({error}). Resume continues from the last checkpoint.",
        "已中断({error})。点击“继续”会从最后一个检查点接着训练。",
    ),
    "tr.failed": ("The run failed: {error}", "运行失败:{error}"),
    "tr.smooth": ("Smoothing β of the training loss", "训练损失的平滑系数 β"),
    "tr.smooth_help": (
        "A bias-corrected EMA of each curve (as TensorBoard smooths); 0 shows the raw loss. The raw values "
        "stay as a faint line.",
        "对每条曲线做偏差修正的 EMA(与 TensorBoard 的平滑相同);0 表示显示原始损失。原始值保留为淡色细线。",
    ),
    "tr.xaxis": ("Horizontal axis", "横轴"),
    "tr.logloss": ("Log-scale loss", "损失用对数刻度"),
    "tr.logloss_help": (
        "Late in a run every loss is close to 0; a log axis keeps the optimizers apart.",
        "训练后期所有损失都接近 0;对数坐标能把各优化器的曲线区分开。",
    ),
    "tr.x.step": ("optimizer step", "优化步"),
    "tr.x.epoch": ("epoch", "轮次(epoch)"),
    "tr.x.seconds": ("seconds", "秒"),
    "tr.x.train_seconds": (
        "seconds of training (forward, backward and step)",
        "训练耗时(秒,含前向、反向与更新)",
    ),
    "tr.x.step_seconds": ("seconds in optimizer.step()", "optimizer.step() 耗时(秒)"),
    "tr.no_seconds_axis": (
        "This run recorded no training time per step, so the axis shows optimizer steps.",
        "这个运行没有记录每步的训练耗时,因此横轴显示优化步。",
    ),
    "tr.x.batch": ("batch size", "批大小"),
    "tr.chart.epoch_time": ("Time per epoch", "每个 epoch 的耗时"),
    "tr.y.epoch_time": ("seconds per epoch", "每个 epoch 的秒数"),
    "tr.chart.samples": ("Training images per second", "每秒训练的图像数"),
    "tr.y.samples": ("images / s", "图像数 / 秒"),
    "tr.speed_caption": (
        "Each batch size trains its own model: the seconds of its forward, backward and step per epoch, "
        "and the training images it gets through per second, over the epochs completed. A larger batch "
        "does more work per kernel until the hardware is full; fewer steps per epoch is the price.",
        "每个批大小训练自己的模型:按已完成的 epoch 计,每个 epoch 的前向、反向与更新耗时,"
        "以及每秒处理的训练图像数。批越大,每个内核做的工作越多,直到硬件被占满;代价是每个 epoch 的步数更少。",
    ),
    "tr.no_epoch_axis": (
        "The run's dataset cannot be read here, so the axis shows optimizer steps.",
        "这里无法读取该运行的数据集,因此横轴显示优化步。",
    ),
    "tr.cmp": ("Overlay another run", "叠加另一个运行"),
    "tr.cmp.none": ("none", "无"),
    "tr.model.raw": ("weights", "原始权重"),
    "tr.model.ema": ("EMA of the weights", "权重的 EMA"),
    "tr.chart.loss": ("Training loss per step", "每步的训练损失"),
    "tr.chart.acc": ("Validation accuracy", "验证准确率"),
    "tr.chart.lr": ("Learning rate", "学习率"),
    "tr.chart.val_loss": ("Validation loss", "验证损失"),
    "tr.chart.grad": ("Gradient norm ‖g‖ (before clipping)", "梯度范数 ‖g‖(裁剪前)"),
    "tr.chart.ratio": ("Update / weight ratio ‖Δθ‖ / ‖θ‖", "更新量与权重之比 ‖Δθ‖ / ‖θ‖"),
    "tr.chart.time": ("Time in optimizer.step() alone", "仅 optimizer.step() 的耗时"),
    "tr.y.loss": ("cross-entropy", "交叉熵"),
    "tr.y.loss_log": ("cross-entropy (log scale)", "交叉熵(对数刻度)"),
    "tr.y.acc": ("accuracy", "准确率"),
    "tr.y.lr": ("learning rate (log scale)", "学习率(对数刻度)"),
    "tr.y.grad": ("‖g‖ (log scale)", "‖g‖(对数刻度)"),
    "tr.y.ratio": ("‖Δθ‖ / ‖θ‖ (log scale)", "‖Δθ‖ / ‖θ‖(对数刻度)"),
    "tr.charts_caption": (
        "Same weights, same batches: the curves differ only by the optimizer. The update/weight ratio of a "
        "healthy run sits near 10⁻³; far above, the LR is too large.",
        "相同的初始权重、相同的批次:曲线的差别只来自优化器。健康训练的更新量/权重比约为 10⁻³;"
        "远高于此说明学习率过大。",
    ),
    "tr.charts_caption_ema": (
        "Dashed validation lines: the EMA of the weights, validated beside the raw weights.",
        "验证曲线中的虚线:权重的 EMA,与原始权重一起评估。",
    ),
    "tr.table": ("Per optimizer", "各优化器"),
    "tr.col.optimizer": ("optimizer", "优化器"),
    "tr.col.steps": ("steps", "步数"),
    "tr.col.epoch": ("epoch", "轮次"),
    "tr.col.val_acc": ("val. accuracy", "验证准确率"),
    "tr.col.ema_acc": ("EMA accuracy", "EMA 准确率"),
    "tr.col.best": ("best", "最佳"),
    "tr.col.opt_time": ("time in step()", "step() 耗时"),
    "tr.time_caption": (
        "The whole run has taken {elapsed} s of wall-clock time. The bars time only each optimizer's "
        "step(): the forward and backward passes, which the lanes share, are left out, so the bars compare "
        "the cost of each update rule alone.",
        "整个运行已用时 {elapsed} 秒。柱状图只计各优化器 step() 的时间:各优化器共用的前向与反向传播不计在内,"
        "所以比较的只是各更新规则本身的开销。",
    ),
    # history
    "tr.history": ("Saved runs", "已保存的运行"),
    "tr.history_empty": ("No runs yet.", "还没有运行。"),
    "tr.hist.run": ("run", "运行"),
    "tr.hist.status": ("status", "状态"),
    "tr.hist.created": ("created", "创建时间"),
    "tr.hist.dataset": ("dataset", "数据集"),
    "tr.hist.optimizers": ("optimizers", "优化器"),
    "tr.hist.epochs": ("epochs", "epoch 数"),
    "tr.hist.accuracy": ("final validation accuracy", "最终验证准确率"),
    "tr.hist.pick": ("Run", "运行"),
    "tr.hist.open": ("Open", "打开"),
    "tr.hist.compare": ("Compare", "对比"),
    "tr.hist.compare_help": ("Overlay this run on the open one.", "把这个运行叠加到当前打开的运行上。"),
    "tr.hist.csv": ("CSV", "CSV"),
    "tr.hist.delete": ("Delete", "删除"),
    "tr.hist.delete_active": ("Stop the run before deleting it.", "请先停止该运行,再删除。"),
    "tr.hist.delete_confirm": (
        "Delete run #{id} with its metrics and checkpoints? This cannot be undone.",
        "删除运行 #{id} 及其指标和检查点?此操作无法撤销。",
    ),
    "tr.hist.delete_yes": ("Delete run #{id}", "删除运行 #{id}"),
    # a DataError's reason for a dataset in the wrong layout (read by setup.data_error_text, beside the
    # reasons of app/shared/i18n/uploads.py)
    "up.err.no_folder": ("{folder}: no such folder.", "{folder}:没有这个文件夹。"),
    "up.err.no_format": (
        "{folder}: found no IDX files, CIFAR-10 batches, HW3 training/validation folders or class folders "
        "of images.",
        "{folder}:没有找到 IDX 文件、CIFAR-10 批次文件、HW3 的 training/ 与 validation/ 文件夹,"
        "也没有按类别分好的图像文件夹。",
    ),
    "up.err.no_images": (
        "no readable images (png, jpg, bmp, gif, webp, tif).",
        "没有可读取的图像(png、jpg、bmp、gif、webp、tif)。",
    ),
    "up.err.classes": (
        "{folder}: an image folder needs at least two class folders with images; found {found}.",
        "{folder}:图像文件夹至少需要两个装有图像的类别子文件夹;只找到 {found} 个。",
    ),
    "up.err.hw3_layout": (
        "{folder}: the HW3 layout needs training/ (or train/) and validation/ (or valid/).",
        "{folder}:HW3 的目录结构需要 training/(或 train/)和 validation/(或 valid/)。",
    ),
    "up.err.hw3_names": (
        "no images named `<label>_<n>.jpg` in {train}/ and {val}/.",
        "{train}/ 与 {val}/ 中没有名为 `<类别>_<序号>.jpg` 的图像。",
    ),
    "up.err.too_few": (
        "{n} images are too few to split into training and validation.",
        "{n} 张图像太少,无法分成训练集和验证集。",
    ),
    "up.err.idx_pair": (
        "{folder}: no `train-images-idx3-ubyte` / `train-labels-idx1-ubyte` pair (raw or `.gz`).",
        "{folder}:没有成对的 `train-images-idx3-ubyte` / `train-labels-idx1-ubyte` 文件(原始或 `.gz`)。",
    ),
    "up.err.idx_magic": ("{name}: not an IDX file.", "{name}:不是 IDX 文件。"),
    "up.err.idx_truncated": ("{name}: the IDX header is cut short.", "{name}:IDX 文件头不完整。"),
    "up.err.idx_unreadable": ("{name}: the IDX file cannot be read.", "{name}:无法读取该 IDX 文件。"),
    "up.err.idx_size": (
        "{name}: the file holds fewer or more values than its header says.",
        "{name}:文件中的数值个数与文件头声明的不一致。",
    ),
    "up.err.idx_shape": (
        "{folder}: IDX images must be (N, H, W) and labels (N,); got {images} and {labels}.",
        "{folder}:IDX 图像必须是 (N, H, W),标签必须是 (N,);实际为 {images} 和 {labels}。",
    ),
    "up.err.cifar_batch": (
        "{name}: not a CIFAR-10 python batch.",
        "{name}:不是 CIFAR-10 的 python 版批次文件。",
    ),
    "up.err.cifar_keys": (
        "{name}: a CIFAR-10 batch needs b'data' and b'labels'.",
        "{name}:CIFAR-10 批次文件需要包含 b'data' 和 b'labels'。",
    ),
    "up.err.cifar_shape": (
        "{name}: b'data' must be an (N, 3072) array with N labels.",
        "{name}:b'data' 必须是 (N, 3072) 的数组,并有 N 个标签。",
    ),
    "up.err.cifar_labels": ("{name}: b'labels' must be whole numbers.", "{name}:b'labels' 必须是整数。"),
    "up.err.cifar_none": (
        "{folder}: no CIFAR-10 `data_batch_*` files.",
        "{folder}:没有 CIFAR-10 的 `data_batch_*` 文件。",
    ),
    "up.err.cifar_classes": (
        "{folder}: labels reach {top} but there are {n} class names.",
        "{folder}:标签最大为 {top},但只有 {n} 个类别名称。",
    ),
}
