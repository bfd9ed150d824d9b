"""Strings of presenter (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    # app/shared/shortcuts.py: what each key does, and how a key is named in its legend
    "keys.step_back": ("one step back", "后退一步"),
    "keys.step_forward": ("one step forward", "前进一步"),
    "keys.play_pause": ("play / pause", "播放 / 暂停"),
    "keys.next": ("next lesson", "下一课"),
    "keys.previous": ("previous lesson", "上一课"),
    "keys.reveal": ("reveal the answer", "揭晓答案"),
    "keys.name.left": ("←", "←"),
    "keys.name.right": ("→", "→"),
    "keys.name.space": ("Space", "空格"),
    "keys.name.n": ("N", "N"),
    "keys.name.p": ("P", "P"),
    "keys.name.v": ("V", "V"),
    # app/shared/presenter.py: the view-only classroom link
    "share.view": ("View", "视图"),
    "share.watch_caption": (
        "View-only link for students watching along (the figure, no controls):",
        "供学生跟随观看的只读链接(只有图,没有控件):",
    ),
    # app/views/playground/layout.py: the Playground on a projector
    "present.lr_drawer": ("Learning rates", "学习率"),
    # app/views/playground/slides.py: the animation for slides
    "slides.make_gif": ("GIF for slides", "导出 GIF(幻灯片用)"),
    "slides.make_mp4": ("MP4 for slides", "导出 MP4(幻灯片用)"),
    "slides.making": ("Making the {kind}…", "正在生成 {kind}…"),
    "slides.failed": ("The {kind} could not be made: {error}", "无法生成 {kind}:{error}"),
    "slides.download": ("Download the {kind}", "下载 {kind}"),
}
