"""Strings of ownership (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    "own.key": ("Run key", "运行密钥"),
    "own.admin": ("Instructor token", "教师令牌"),
    "own.admin_box": ("Instructor", "教师"),
    "own.admin_help": (
        "The token the server was started with (OPTIM_LAB_ADMIN_TOKEN): it controls every run.",
        "服务器启动时设置的令牌(OPTIM_LAB_ADMIN_TOKEN):凭它可以控制所有运行。",
    ),
    "own.admin_on": ("Instructor mode: you control every run.", "教师模式:你可以控制所有运行。"),
    "own.all_runs": ("All runs", "所有运行"),
    "own.all_runs_help": (
        "Off: only the runs this browser session started or opened with their link.",
        "关闭时:只显示本浏览器会话启动的运行,或通过其链接打开的运行。",
    ),
    "own.none_mine": (
        "You have not started or opened a run of your own in this session yet.",
        "你在本会话中还没有启动或通过链接打开自己的运行。",
    ),
    "own.view_only": (
        "View only: this run is controlled from the link of whoever started it.",
        "仅可查看:只有通过启动者的链接才能控制此运行。",
    ),
    "own.hist_view_only": (
        "Only whoever started this run (with its link) can delete it.",
        "只有启动者(凭其链接)才能删除此运行。",
    ),
    "own.refused": (
        "Refused: run #{id} is controlled only with its own link or the instructor's token.",
        "已拒绝:只有凭该运行自己的链接或教师令牌才能控制运行 #{id}。",
    ),
    "own.active": (
        "Run #{id} is {status}: stop it before deleting it.",
        "运行 #{id} 状态为{status}:请先停止它,再删除。",
    ),
    "own.quota.user": (
        "You already have {limit} run(s) queued or running: wait for one to end, or stop one.",
        "你已有 {limit} 个运行在排队或运行中:请等待其中一个结束,或停止一个。",
    ),
    "own.quota.queue": (
        "The queue is full ({limit} runs waiting on this server): try again when it is shorter.",
        "队列已满(本服务器有 {limit} 个运行在等待):请稍后再试。",
    ),
    "own.pruned": (
        "This server keeps {limit} runs: the oldest ended run(s) {ids} were deleted.",
        "本服务器最多保留 {limit} 个运行:已删除最早结束的运行 {ids}。",
    ),
    "own.limits_line": (
        "Limits: {per_user} active run(s) per person, {queue} in the queue, {kept} kept.",
        "限制:每人最多 {per_user} 个活动运行,队列最多 {queue} 个,最多保留 {kept} 个。",
    ),
}
