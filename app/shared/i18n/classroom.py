"""Strings of classroom (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    "nav.classroom": ("Class", "课堂"),
    "home.classroom": (
        "The whole room votes: students join with a code or QR code on their phones, predict each lesson's "
        "outcome, and the reveal shows everyone the computed answer and the class's tally.",
        "全班投票：学生用手机输入课堂码或扫码加入，预测每节课的结果；揭晓时所有人看到计算出的答案和全班的票数。",
    ),
    "cls.title": ("Class mode: the whole room votes", "课堂模式：全班投票"),
    "cls.intro": (
        "Predict first, then watch: every student votes on the lesson's question from a phone or laptop, "
        "the projector shows the tally, and the reveal shows the answer the engine computed.",
        "先预测，再观察：每位学生用手机或电脑对课程的问题投票，投影显示票数，揭晓时显示引擎计算出的答案。",
    ),
    "cls.join_header": ("Join a class", "加入课堂"),
    "cls.code_label": ("Join code", "课堂码"),
    "cls.code_help": ("The 6 letters and digits on the projector.", "投影上的 6 位字母和数字。"),
    "cls.join": ("Join", "加入"),
    "cls.start_header": ("Start a class (instructor)", "开始课堂（教师）"),
    "cls.start_help": (
        "Follows the lessons in order. You get a join code, a link and a QR code for the projector, and a "
        "private instructor link that controls the class.",
        "按顺序进行全部课程。你会得到课堂码、加入链接和二维码（放在投影上），以及一个控制课堂的私人教师链接。",
    ),
    "cls.start": ("Start a class", "开始课堂"),
    "cls.start_needs_admin": (
        "This server has an instructor token: open this page with ?admin=<token> to start a class.",
        "此服务器设置了教师令牌：请用 ?admin=<令牌> 打开本页以开始课堂。",
    ),
    "cls.limits": (
        "A class lasts {hours} hours; up to {students} students per class, {classes} classes at once.",
        "每个课堂持续 {hours} 小时；每个课堂最多 {students} 名学生，同时最多 {classes} 个课堂。",
    ),
    "cls.code_big": ("Join code", "课堂码"),
    "cls.join_link": ("Join link", "加入链接"),
    "cls.qr_caption": ("Scan to join", "扫码加入"),
    "cls.instructor_link": (
        "Your instructor link (keep it private: it controls the class)",
        "你的教师链接（请勿分享：它控制整个课堂）",
    ),
    "cls.question_n": ("Question {n} of {total}", "第 {n} 题，共 {total} 题"),
    "cls.previous": ("Previous", "上一题"),
    "cls.next": ("Next", "下一题"),
    "cls.reveal": ("Reveal", "揭晓"),
    "cls.reset": ("Reset votes", "清空投票"),
    "cls.voted": ("{voters} of {students} students voted", "{students} 名学生中已有 {voters} 人投票"),
    "cls.vote_prompt": (
        "Tap your prediction. You can change it until the reveal.",
        "点选你的预测。揭晓前可以更改。",
    ),
    "cls.your_vote": ("Your vote: {answer}", "你的选择：{answer}"),
    "cls.waiting": ("Waiting for the reveal…", "等待揭晓……"),
    "cls.answer": ("The answer: {answer}", "答案：{answer}"),
    "cls.right": ("You predicted it.", "你预测对了。"),
    "cls.wrong": ("You predicted {answer}.", "你的预测是 {answer}。"),
    "cls.no_vote": ("You did not vote on this one.", "这一题你没有投票。"),
    "cls.tally_header": ("The class voted", "全班投票"),
    "cls.computed": ("computed by the engine", "由引擎计算"),
    "cls.leave": ("Leave the class", "离开课堂"),
    "cls.err.not_found": (
        "No class with this code is running (a class ends after {hours} hours).",
        "没有使用该课堂码的课堂（课堂在 {hours} 小时后结束）。",
    ),
    "cls.err.bad_code": ("A join code is 6 letters and digits.", "课堂码为 6 位字母和数字。"),
    "cls.err.full": ("This class is full ({limit} students).", "该课堂已满（{limit} 名学生）。"),
    "cls.err.too_many": (
        "{limit} classes are running on this server: try again later.",
        "此服务器已有 {limit} 个课堂在进行：请稍后再试。",
    ),
    "cls.err.closed": ("The answer is revealed: votes are closed.", "答案已揭晓：投票已结束。"),
    "cls.err.moved": (
        "The instructor moved on before your vote arrived: here is the current question.",
        "你的投票送达前老师已切换题目：这是当前的题目。",
    ),
    "cls.err.bad_vote": ("That vote was not accepted.", "该投票未被接受。"),
    "cls.err.not_joined": ("Join the class first.", "请先加入课堂。"),
    "cls.err.error": ("That did not work.", "操作未成功。"),
    "cls.err.not_instructor": (
        "Only the instructor's link controls the class.",
        "只有教师链接可以控制课堂。",
    ),
    "cls.no_lessons": ("No lessons are available on this server.", "此服务器上没有可用的课程。"),
    "cls.lesson_missing": (
        "This class follows lesson {lesson}, which this server does not have.",
        "该课堂使用的课程 {lesson} 在此服务器上不存在。",
    ),
    "cls.key_label": ("Class key", "课堂密钥"),
    "cls.me_label": ("Student id", "学生编号"),
    "cls.class_label": ("Class", "课堂"),
}
