"""The demo's fixed data: the team, the clients, the plans, the texts.

Plain values only; `dispatcher.demo.setup` and `dispatcher.demo.tickets` turn them into
rows. Every e-mail domain is under `.example` (RFC 2606), so a demo database can never mail
a real company.
"""

from __future__ import annotations

from typing import NamedTuple

from dispatcher.domain.enums import Priority, Role, Visibility

# The team's own mail domain: users' addresses, and the message ids of what the desk sends.
MESSAGE_DOMAIN = "helpdesk.example"

# --- The team -------------------------------------------------------------------------


class DemoUser(NamedTuple):
    login: str
    name: str
    role: Role
    timezone: str
    competences: tuple[str, ...] = ()
    shift: str = "day"  # a key of SHIFTS
    active: bool = True


COMPETENCES: tuple[tuple[str, str], ...] = (
    ("network", "Networks and VPN"),
    ("servers", "Servers and virtualisation"),
    ("software", "Office software"),
    ("hardware", "Workstations and peripherals"),
    ("printers", "Printers and scanners"),
    ("email", "Mail and calendars"),
    ("accounting", "1C and accounting systems"),
    ("security", "Access and security"),
)

MSK = "Europe/Moscow"
LON = "Europe/London"

USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Системный администратор", Role.admin, MSK),
    DemoUser("olga", "Ольга Смирнова", Role.dispatcher, MSK),
    DemoUser("marina", "Марина Кузнецова", Role.dispatcher, MSK, shift="late"),
    DemoUser("tom", "Tom Baker", Role.dispatcher, LON),
    DemoUser("ivan", "Иван Петров", Role.engineer, MSK, ("network", "servers", "security")),
    DemoUser("petr", "Пётр Соколов", Role.engineer, MSK, ("network", "hardware", "printers")),
    DemoUser("sergey", "Сергей Волков", Role.engineer, MSK, ("software", "accounting"), "late"),
    DemoUser("anna", "Анна Морозова", Role.engineer, MSK, ("software", "email", "accounting")),
    DemoUser("dmitry", "Дмитрий Орлов", Role.engineer, MSK, ("hardware", "printers"), "weekend"),
    DemoUser("james", "James Wilson", Role.engineer, LON, ("network", "servers", "email")),
    DemoUser("emily", "Emily Clark", Role.engineer, LON, ("software", "hardware", "printers")),
    DemoUser("raj", "Raj Patel", Role.engineer, LON, ("security", "servers", "email"), "night"),
    DemoUser("lena", "Елена Васильева", Role.lead, MSK),
    DemoUser("george", "George Hall", Role.lead, LON),
    DemoUser("viktor", "Виктор Белов", Role.engineer, MSK, ("network",), active=False),
)

# Weekly shifts as `dispatcher admin users shifts set` takes them; an end not after the
# start runs past midnight.
SHIFTS: dict[str, tuple[str, ...]] = {
    "day": ("mon-fri 09:00-18:00",),
    "late": ("mon-fri 12:00-21:00",),
    "weekend": ("wed-fri 09:00-18:00", "sat-sun 10:00-16:00"),
    "night": ("mon-thu 22:00-06:00", "fri 09:00-17:30"),
}

# (login, first day relative to now, last day relative to now, reason)
LEAVES: tuple[tuple[str, int, int, str], ...] = (
    ("dmitry", -3, 7, "отпуск"),
    ("emily", -1, 1, "sick leave"),
    ("anna", 20, 33, "отпуск"),
    ("james", -40, -30, "annual leave"),
)

# --- Queues and categories ------------------------------------------------------------

QUEUES: tuple[tuple[str, str], ...] = (
    ("Service desk", "First line: everything that comes in, answered or routed"),
    ("Infrastructure", "Networks, servers, security"),
    ("Field service", "On-site work: workstations, printers, cabling"),
    ("Business apps", "1C, ERP and accounting software"),
)


class DemoCategory(NamedTuple):
    name: str
    queue: str
    competence: str
    default_priority: Priority | None
    weight: int


CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory("Network and VPN", "Infrastructure", "network", None, 14),
    DemoCategory("Servers", "Infrastructure", "servers", Priority.high, 6),
    DemoCategory("Security incident", "Infrastructure", "security", Priority.urgent, 2),
    DemoCategory("Mail and calendar", "Service desk", "email", None, 14),
    DemoCategory("Office software", "Service desk", "software", None, 16),
    DemoCategory("Accounts and access", "Service desk", "security", None, 14),
    DemoCategory("Workstations", "Field service", "hardware", None, 12),
    DemoCategory("Printers and scanners", "Field service", "printers", Priority.low, 10),
    DemoCategory("1C and accounting", "Business apps", "accounting", None, 9),
    DemoCategory("Telephony", "Infrastructure", "network", None, 3),
)

# --- Calendars and plans --------------------------------------------------------------

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


class DemoCalendar(NamedTuple):
    name: str
    timezone: str
    always_open: bool
    hours: dict[str, list[str]]
    country: str | None


CALENDARS: tuple[DemoCalendar, ...] = (
    DemoCalendar(
        "Moscow office", MSK, False, {d: ["09:00-13:00", "14:00-18:00"] for d in WORKDAYS}, "RU"
    ),
    DemoCalendar("London office", LON, False, {d: ["09:00-17:30"] for d in WORKDAYS}, "GB"),
    DemoCalendar("24x7", "UTC", True, {}, None),
)

# priority: (first response, resolution, update) in business minutes
PlanTargets = dict[Priority, tuple[int, int, int | None]]


class DemoPlan(NamedTuple):
    name: str
    description: str
    calendar: str
    is_default: bool
    targets: PlanTargets
    breach_raises_priority: bool = False


PLANS: tuple[DemoPlan, ...] = (
    DemoPlan(
        "standard",
        "Office hours, Moscow calendar; for clients without a contract",
        "Moscow office",
        True,
        {
            Priority.urgent: (60, 480, 120),
            Priority.high: (120, 960, 240),
            Priority.normal: (240, 2400, None),
            Priority.low: (480, 4800, None),
        },
    ),
    DemoPlan(
        "business",
        "Office hours, London calendar",
        "London office",
        False,
        {
            Priority.urgent: (30, 240, 60),
            Priority.high: (60, 480, 120),
            Priority.normal: (180, 1440, None),
            Priority.low: (480, 2880, None),
        },
    ),
    DemoPlan(
        "premium",
        "Around the clock, for critical systems",
        "24x7",
        False,
        {
            Priority.urgent: (15, 240, 60),
            Priority.high: (30, 720, 120),
            Priority.normal: (120, 2880, None),
            Priority.low: (480, 5760, None),
        },
        breach_raises_priority=True,
    ),
)

# --- Clients --------------------------------------------------------------------------


class DemoClient(NamedTuple):
    name: str
    domain: str
    language: str  # "ru" or "en"
    plan: str  # the current contract's plan; "" when the only contract has expired
    contacts: tuple[tuple[str, str], ...]  # (name, position)
    city_code: str  # phone prefix digits after the country code
    weight: int  # how much they write in


CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        "ООО «Ромашка»",
        "romashka.example",
        "ru",
        "standard",
        (("Анна Иванова", "офис-менеджер"), ("Павел Сидоров", "главный бухгалтер")),
        "495",
        9,
    ),
    DemoClient(
        "АО «Гранит»",
        "granit.example",
        "ru",
        "premium",
        (
            ("Алексей Козлов", "ИТ-директор"),
            ("Ирина Лебедева", "секретарь"),
            ("Олег Никитин", "инженер"),
        ),
        "812",
        10,
    ),
    DemoClient(
        "ООО «Вектор»",
        "vektor.example",
        "ru",
        "standard",
        (("Наталья Павлова", "директор"),),
        "495",
        5,
    ),
    DemoClient(
        "ООО «Лотос»",
        "lotos.example",
        "ru",
        "standard",
        (("Юлия Захарова", "администратор"), ("Максим Егоров", "менеджер")),
        "843",
        4,
    ),
    DemoClient(
        "ЗАО «Меридиан»",
        "meridian-zao.example",
        "ru",
        "premium",
        (("Андрей Фёдоров", "начальник ИТ-отдела"), ("Светлана Крылова", "бухгалтер")),
        "495",
        8,
    ),
    DemoClient(
        "ООО «Техностиль»",
        "tekhnostil.example",
        "ru",
        "",
        (("Роман Медведев", "владелец"),),
        "383",
        3,
    ),
    DemoClient(
        "ООО «Альфа-Логистика»",
        "alfa-log.example",
        "ru",
        "standard",
        (("Екатерина Новикова", "руководитель склада"), ("Денис Попов", "логист")),
        "495",
        7,
    ),
    DemoClient(
        "АО «Северный ветер»",
        "sev-veter.example",
        "ru",
        "premium",
        (("Михаил Зайцев", "главный инженер"), ("Ольга Белова", "HR")),
        "8152",
        6,
    ),
    DemoClient(
        "ИП Кузьмин А. В.",
        "kuzmin-ip.example",
        "ru",
        "",
        (("Артём Кузьмин", "индивидуальный предприниматель"),),
        "495",
        2,
    ),
    DemoClient(
        "ООО «Берёзка»",
        "berezka.example",
        "ru",
        "standard",
        (("Татьяна Соловьёва", "управляющая"), ("Игорь Васильев", "кладовщик")),
        "4012",
        4,
    ),
    DemoClient(
        "Acme Logistics Ltd",
        "acme-logistics.example",
        "en",
        "business",
        (("Sarah Thompson", "Office manager"), ("David Evans", "Warehouse lead")),
        "20",
        9,
    ),
    DemoClient(
        "Brightwater Dental",
        "brightwater.example",
        "en",
        "business",
        (("Dr Helen Moore", "Practice owner"), ("Chloe Walker", "Receptionist")),
        "117",
        5,
    ),
    DemoClient(
        "Kingsley & Partners LLP",
        "kingsley-partners.example",
        "en",
        "premium",
        (
            ("Richard Kingsley", "Managing partner"),
            ("Amelia Hughes", "IT coordinator"),
            ("Oliver Green", "Paralegal"),
        ),
        "20",
        10,
    ),
    DemoClient(
        "Northwind Traders",
        "northwind.example",
        "en",
        "business",
        (("Jack Robinson", "Operations director"),),
        "161",
        6,
    ),
    DemoClient(
        "Oakridge School",
        "oakridge-school.example",
        "en",
        "business",
        (("Margaret Lewis", "Bursar"), ("Daniel White", "Head of computing")),
        "1865",
        7,
    ),
    DemoClient(
        "Harbour Hotels Group",
        "harbour-hotels.example",
        "en",
        "premium",
        (("Sophie Martin", "Group IT manager"), ("Liam Jackson", "Night manager")),
        "1202",
        8,
    ),
    DemoClient(
        "Pinegrove Studios",
        "pinegrove.example",
        "en",
        "",
        (("Ethan Wright", "Studio manager"),),
        "20",
        3,
    ),
    DemoClient(
        "Blue Finch Bakery",
        "bluefinch.example",
        "en",
        "business",
        (("Grace Hall", "Owner"),),
        "131",
        2,
    ),
    DemoClient(
        "Meridian Analytics",
        "meridian-analytics.example",
        "en",
        "premium",
        (("Noah Harris", "CTO"), ("Isla Clarke", "Office manager")),
        "20",
        7,
    ),
    DemoClient(
        "Thames Valley Builders",
        "tvbuilders.example",
        "en",
        "business",
        (("Harry Cooper", "Site manager"), ("Emma Ward", "Accounts")),
        "118",
        4,
    ),
)

# (name, kind, location)
EQUIPMENT: tuple[tuple[str, str, str], ...] = (
    ("File server", "server", "server room"),
    ("Mail gateway", "server", "rack 2"),
    ("Core switch", "network", "server room"),
    ("Edge router", "network", "comms cupboard"),
    ("MFP Kyocera M2040", "printer", "reception"),
    ("HP LaserJet M404", "printer", "accounts office"),
    ("Wi-Fi controller", "network", "server room"),
    ("NAS backup", "storage", "server room"),
    ("IP PBX", "telephony", "comms cupboard"),
)

# --- Texts ----------------------------------------------------------------------------

# Per category: subjects in Russian and in English.
SUBJECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Network and VPN": {
        "ru": (
            "Не работает VPN",
            "Пропал интернет в офисе",
            "Медленная сеть на втором этаже",
            "Не подключается удалённый сотрудник",
            "Wi-Fi отваливается каждые 10 минут",
        ),
        "en": (
            "VPN is down",
            "No internet in the office",
            "Network very slow upstairs",
            "Remote worker cannot connect",
            "Wi-Fi keeps dropping",
        ),
    },
    "Servers": {
        "ru": (
            "Файловый сервер недоступен",
            "Заканчивается место на сервере",
            "Не прошло ночное резервное копирование",
            "Сервер перезагружается сам",
        ),
        "en": (
            "File server unreachable",
            "Server disk almost full",
            "Nightly backup failed",
            "Server keeps rebooting",
        ),
    },
    "Security incident": {
        "ru": (
            "Подозрительное письмо с вложением",
            "Вирус на компьютере бухгалтера",
            "Кто-то вошёл под чужой учётной записью",
        ),
        "en": (
            "Phishing e-mail opened",
            "Ransomware warning on a laptop",
            "Suspicious sign-in from abroad",
        ),
    },
    "Mail and calendar": {
        "ru": (
            "Не приходят письма",
            "Outlook просит пароль",
            "Письма уходят в спам у клиентов",
            "Переполнен почтовый ящик",
            "Не открывается общий календарь",
        ),
        "en": (
            "E-mails not arriving",
            "Outlook keeps asking for the password",
            "Our mail lands in customers' spam",
            "Mailbox full",
            "Shared calendar will not open",
        ),
    },
    "Office software": {
        "ru": (
            "Не открывается Excel",
            "Установить программу для сканирования",
            "Word зависает при сохранении",
            "Нужна лицензия на PDF-редактор",
            "Не работает Teams",
            "Слетели настройки браузера",
        ),
        "en": (
            "Excel will not open",
            "Please install the scanning software",
            "Word hangs when saving",
            "Need a PDF editor licence",
            "Teams not working",
            "Browser settings lost",
        ),
    },
    "Accounts and access": {
        "ru": (
            "Сбросить пароль",
            "Новый сотрудник: создать учётную запись",
            "Увольнение: заблокировать доступ",
            "Нет доступа к папке отдела",
            "Заблокирована учётная запись",
        ),
        "en": (
            "Password reset",
            "New starter: set up an account",
            "Leaver: disable access",
            "No access to the department share",
            "Account locked out",
        ),
    },
    "Workstations": {
        "ru": (
            "Не включается компьютер",
            "Синий экран при загрузке",
            "Не работает монитор",
            "Нужно подключить рабочее место",
            "Очень медленно работает ноутбук",
        ),
        "en": (
            "PC will not power on",
            "Blue screen on start-up",
            "Monitor not working",
            "New desk needs setting up",
            "Laptop very slow",
        ),
    },
    "Printers and scanners": {
        "ru": (
            "Не печатает принтер",
            "Замятие бумаги в МФУ",
            "Сканер не отправляет на почту",
            "Закончился тонер",
        ),
        "en": (
            "Printer not printing",
            "Paper jam in the copier",
            "Scan to e-mail broken",
            "Toner ran out",
        ),
    },
    "1C and accounting": {
        "ru": (
            "1С не запускается",
            "Ошибка при проведении документа в 1С",
            "Обновить конфигурацию 1С",
            "Не выгружается отчётность",
        ),
        "en": (
            "Accounting package will not start",
            "Error posting an invoice",
            "Payroll update needed",
            "VAT return export fails",
        ),
    },
    "Telephony": {
        "ru": ("Не работает телефон на ресепшн", "Нет входящих звонков"),
        "en": ("Reception phone dead", "Incoming calls not ringing"),
    },
}

DETAILS: dict[str, tuple[str, ...]] = {
    "ru": (
        "Проблема началась сегодня утром.",
        "Перезагрузка не помогла.",
        "Ошибка повторяется у нескольких сотрудников.",
        "Скриншот ошибки прикладываю.",
        "Работа отдела фактически остановлена.",
        "Вчера всё работало нормально.",
        "Просим решить как можно скорее.",
        "Сообщение об ошибке: «Нет связи с сервером».",
    ),
    "en": (
        "It started this morning.",
        "Restarting did not help.",
        "Several colleagues have the same problem.",
        "Screenshot attached.",
        "The whole team is stuck.",
        "It was fine yesterday.",
        "Please treat this as urgent.",
        "The error says 'Cannot reach the server'.",
    ),
}

GREETINGS = {"ru": "Здравствуйте!", "en": "Hello,"}
SIGN_OFFS = {"ru": "С уважением,", "en": "Kind regards,"}

REPLIES: dict[str, tuple[str, ...]] = {
    "ru": (
        "Добрый день! Заявка принята, инженер уже занимается проблемой.",
        "Здравствуйте! Мы проверили настройки, попробуйте, пожалуйста, ещё раз.",
        "Добрый день! Подскажите, пожалуйста, точное время появления ошибки.",
    ),
    "en": (
        "Hello, thanks for reporting this: an engineer is on it now.",
        "Hi, we have checked the settings; could you try again, please?",
        "Hello, could you tell us exactly when the error appears?",
    ),
}

CALLS: dict[str, tuple[str, ...]] = {
    "ru": (
        "Перезвонили: заявку приняли, инженер уже смотрит. Договорились созвониться после.",
        "Созвонились, проверили настройки вместе с клиентом; просили попробовать ещё раз.",
    ),
    "en": (
        "Rang back: the ticket is taken, an engineer is looking; agreed to call again after.",
        "Called the client and checked the settings together; asked them to try again.",
    ),
}

# A call that solved it there and then (first-contact resolution).
CALLS_SOLVED: dict[str, tuple[str, ...]] = {
    "ru": ("Созвонились и решили по телефону: клиент проверил, всё работает.",),
    "en": ("Solved on the call: the client checked while we talked, it works now.",),
}

RESOLUTIONS: dict[str, tuple[str, ...]] = {
    "ru": (
        "Проблема устранена: перезапустили службу и проверили работу. Закрываем заявку?",
        "Заменили неисправный кабель, всё работает. Подтвердите, пожалуйста.",
        "Обновили драйвер и настройки. Если проблема повторится, ответьте на это письмо.",
    ),
    "en": (
        "Fixed: we restarted the service and checked it works. Can we close the ticket?",
        "We replaced the faulty cable and everything works. Please confirm.",
        "Driver and settings updated. If it happens again, just reply to this e-mail.",
    ),
}

CLIENT_ANSWERS: dict[str, tuple[str, ...]] = {
    "ru": (
        "Ошибка появляется сразу после входа в систему.",
        "Попробовали, к сожалению, не помогло.",
        "Да, теперь всё работает, спасибо!",
    ),
    "en": (
        "It happens right after logging in.",
        "Tried again, still broken, sorry.",
        "Yes, it works now, thank you!",
    ),
}

NOTES: tuple[str, ...] = (
    "Проверил логи: ошибки аутентификации с 08:12.",
    "Нужен выезд, согласовал с клиентом на завтра.",
    "Похоже на тот же сбой, что на прошлой неделе.",
    "Checked the logs: the disk is 97% full.",
    "Vendor case opened, waiting for their engineer.",
    "Same root cause as last week's outage.",
)

VENDORS: tuple[str, ...] = ("Ростелеком", "Softline", "Dell Support", "Microsoft", "1С-Рарус")

# --- Reply templates ------------------------------------------------------------------

# (name, category or "", channel or "", subject, body)
TEMPLATES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "acknowledgement-ru",
        "",
        "email",
        "Заявка {{ ticket.ref }} принята",
        "Здравствуйте, {{ contact.name }}!\n\nВаша заявка {{ ticket.ref }} «{{ ticket.subject }}» "
        "зарегистрирована. Ответим до {{ ticket.first_response_due }}.\n\nСлужба поддержки",
    ),
    (
        "acknowledgement-en",
        "",
        "email",
        "We have your request {{ ticket.ref }}",
        'Hello {{ contact.name }},\n\nYour request {{ ticket.ref }} "{{ ticket.subject }}" is '
        "logged. Expect our first answer by {{ ticket.first_response_due }}.\n\nThe service desk",
    ),
    (
        "password-reset-ru",
        "Accounts and access",
        "",
        "Сброс пароля",
        "{{ contact.name }}, пароль сброшен. Временный пароль отправлен SMS, при первом входе "
        "система попросит его сменить.\n\n{{ sender.name }}",
    ),
    (
        "password-reset-en",
        "Accounts and access",
        "",
        "Your password has been reset",
        "{{ contact.name }}, your password has been reset. The temporary one was sent by text; "
        "you will be asked to change it when you sign in.\n\n{{ sender.name }}",
    ),
    (
        "need-more-info-ru",
        "",
        "",
        "Нужна дополнительная информация по {{ ticket.ref }}",
        "Здравствуйте, {{ contact.name }}!\n\nЧтобы продолжить, пришлите, пожалуйста, снимок "
        "экрана с ошибкой и точное время её появления.\n\n{{ sender.name }}",
    ),
    (
        "need-more-info-en",
        "",
        "",
        "More details needed on {{ ticket.ref }}",
        "Hello {{ contact.name }},\n\nTo carry on we need a screenshot of the error and the "
        "time it appeared.\n\n{{ sender.name }}",
    ),
    (
        "resolved-ru",
        "",
        "",
        "Заявка {{ ticket.ref }} выполнена",
        "{{ contact.name }}, работы по заявке {{ ticket.ref }} завершены. Если проблема "
        "осталась, просто ответьте на это письмо — заявка откроется снова.",
    ),
    (
        "resolved-en",
        "",
        "",
        "{{ ticket.ref }} is resolved",
        "{{ contact.name }}, we believe {{ ticket.ref }} is fixed. If it is not, just reply to "
        "this e-mail and the ticket reopens.",
    ),
    (
        "onsite-visit-ru",
        "Workstations",
        "",
        "Выезд инженера по {{ ticket.ref }}",
        "{{ contact.name }}, инженер {{ engineer.name }} приедет к вам в {{ client.name }}. "
        "Пожалуйста, обеспечьте доступ к рабочему месту.",
    ),
    (
        "printer-toner-en",
        "Printers and scanners",
        "",
        "Toner for {{ client.name }}",
        "{{ contact.name }}, new toner is on its way and should arrive within one working day.",
    ),
    (
        "kb-link-en",
        "",
        "",
        "A guide for {{ ticket.subject }}",
        "Hello {{ contact.name }},\n\nthis guide should help: {{ article.title }} "
        "({{ article.url }}).\n\nIf it does not, reply and we will call you.",
    ),
    (
        "vendor-escalation-ru",
        "Servers",
        "",
        "{{ ticket.ref }}: передано производителю",
        "{{ contact.name }}, заявка передана в поддержку производителя (номер обращения "
        "{{ escalation.vendor_ref }}). Сообщим, как только получим ответ.",
    ),
)

# --- Knowledge base -------------------------------------------------------------------


class DemoArticle(NamedTuple):
    slug: str
    title: str
    body: str
    visibility: Visibility
    tags: tuple[str, ...]


def _steps(*lines: str) -> str:
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "vpn-setup-ru",
        "Как настроить VPN на ноутбуке",
        "## Настройка VPN\n\n"
        + _steps(
            "Установите клиент из раздела «Программы».",
            "Введите адрес vpn.company.example.",
            "Войдите с корпоративным логином и паролем.",
            "Подтвердите вход кодом из SMS.",
        ),
        Visibility.public,
        ("vpn", "сеть"),
    ),
    DemoArticle(
        "vpn-setup-en",
        "Setting up the VPN on a laptop",
        "## VPN set-up\n\n"
        + _steps(
            "Install the client from Software Centre.",
            "Enter vpn.company.example as server.",
            "Sign in with your work account.",
            "Approve the prompt on your phone.",
        ),
        Visibility.public,
        ("vpn", "network"),
    ),
    DemoArticle(
        "vpn-error-809",
        "VPN error 809: diagnosis",
        "Error 809 means IPsec traffic is blocked. Check UDP 500/4500 on the client's router, "
        "then NAT-T on the gateway. Hotel Wi-Fi often blocks it: try a phone hotspot.",
        Visibility.internal,
        ("vpn", "network", "error-809"),
    ),
    DemoArticle(
        "password-reset-ru",
        "Как сбросить пароль самостоятельно",
        "Откройте страницу https://id.company.example, нажмите «Забыли пароль?» и следуйте "
        "подсказкам. Новый пароль — не короче 12 символов.",
        Visibility.public,
        ("пароль", "учётная запись"),
    ),
    DemoArticle(
        "password-reset-en",
        "Resetting your password",
        "Go to https://id.company.example, choose *Forgot password* and follow the prompts. "
        "The new password needs at least 12 characters.",
        Visibility.public,
        ("password", "account"),
    ),
    DemoArticle(
        "account-lockout",
        "Unlocking an account (AD)",
        "Check the lockout source with `Get-ADUser -Properties LockedOut`. Usually an old phone "
        "with a saved password. Unlock, then ask the user to update every device.",
        Visibility.internal,
        ("account", "active-directory", "lockout"),
    ),
    DemoArticle(
        "outlook-password-loop",
        "Outlook keeps asking for the password",
        "Clear the saved credentials (Credential Manager → Windows Credentials), restart "
        "Outlook, sign in once. If it persists, recreate the mail profile.",
        Visibility.public,
        ("outlook", "email", "password"),
    ),
    DemoArticle(
        "outlook-pst-ru",
        "Переполнен почтовый ящик: архивация",
        "В Outlook выберите «Файл → Инструменты → Очистка почтового ящика». Старые письма "
        "можно перенести в архив (PST) на сетевой диск.",
        Visibility.public,
        ("outlook", "почта"),
    ),
    DemoArticle(
        "spf-dkim",
        "Our mail goes to spam: SPF, DKIM, DMARC checklist",
        "Check the SPF record includes the mail gateway, the DKIM selector is published and "
        "DMARC is at least p=none with reports. Test with a mail-tester service.",
        Visibility.internal,
        ("email", "dns", "spam"),
    ),
    DemoArticle(
        "printer-offline-ru",
        "Принтер «не в сети»: что делать",
        "## Если принтер не печатает\n\n"
        + _steps(
            "Проверьте, что принтер включён и на экране нет ошибок.",
            "Перезапустите службу «Диспетчер печати».",
            "Удалите и снова добавьте принтер по IP-адресу.",
        ),
        Visibility.public,
        ("принтер", "печать"),
    ),
    DemoArticle(
        "printer-offline-en",
        "Printer shows as offline",
        "Power-cycle the printer, restart the Print Spooler service, then re-add the printer "
        "by its IP address.",
        Visibility.public,
        ("printer", "printing"),
    ),
    DemoArticle(
        "scan-to-email",
        "Scan to e-mail stopped working",
        "The copier uses SMTP relay on port 587 with the scanner@ account. After a password "
        "change update it on the copier's web page.",
        Visibility.internal,
        ("printer", "scanner", "email"),
    ),
    DemoArticle(
        "1c-wont-start",
        "1С не запускается: ошибка формата хранилища",
        "Очистите кэш 1С (%APPDATA%\\1C\\1cv8) и перезапустите. Если не помогло — проверьте "
        "доступ к серверу 1С по порту 1541.",
        Visibility.internal,
        ("1с", "бухгалтерия"),
    ),
    DemoArticle(
        "1c-update-ru",
        "Обновление конфигурации 1С: регламент",
        "Обновление — только вечером, после резервной копии базы. Пользователей предупредить "
        "за день. Проверить отчётность после обновления.",
        Visibility.internal,
        ("1с", "регламент"),
    ),
    DemoArticle(
        "new-starter-en",
        "New starter checklist",
        _steps(
            "Create the account and mailbox.",
            "Add to the department groups.",
            "Prepare the laptop with the standard image.",
            "Send the welcome e-mail.",
        ),
        Visibility.internal,
        ("account", "onboarding"),
    ),
    DemoArticle(
        "leaver-ru",
        "Увольнение сотрудника: блокировка доступа",
        "В день увольнения: заблокировать учётную запись, сменить пароли общих ящиков, "
        "забрать ноутбук и пропуск, переадресовать почту руководителю.",
        Visibility.internal,
        ("учётная запись", "безопасность"),
    ),
    DemoArticle(
        "phishing-en",
        "How to spot a phishing e-mail",
        "Check the sender's address, hover over links before clicking, and never enter your "
        "password after following a link from an e-mail. Forward anything odd to the desk.",
        Visibility.public,
        ("security", "phishing", "email"),
    ),
    DemoArticle(
        "phishing-ru",
        "Как распознать фишинговое письмо",
        "Проверьте адрес отправителя, не открывайте вложения от незнакомцев и не вводите "
        "пароль по ссылке из письма. Подозрительное письмо перешлите в поддержку.",
        Visibility.public,
        ("безопасность", "фишинг", "почта"),
    ),
    DemoArticle(
        "ransomware-runbook",
        "Ransomware: first 30 minutes",
        "Isolate the machine (pull the cable, disable Wi-Fi), do not power it off, note the "
        "ransom note text, call the security lead, check the backups are offline.",
        Visibility.internal,
        ("security", "incident", "runbook"),
    ),
    DemoArticle(
        "wifi-drops-ru",
        "Wi-Fi отключается: диагностика",
        "Проверьте загрузку канала контроллером, отключите роуминг 802.11r для старых "
        "ноутбуков, обновите драйвер адаптера.",
        Visibility.internal,
        ("wi-fi", "сеть"),
    ),
    DemoArticle(
        "disk-full-en",
        "Server disk almost full",
        "Find the biggest folders with `du -xh --max-depth=2`, rotate logs, clean old "
        "snapshots. Never delete database files by hand.",
        Visibility.internal,
        ("servers", "disk", "linux"),
    ),
    DemoArticle(
        "backup-failed-ru",
        "Не прошло резервное копирование",
        "Посмотрите журнал задания, проверьте свободное место на NAS и доступность сетевой "
        "папки. Перезапустите задание вручную и дождитесь завершения.",
        Visibility.internal,
        ("резервное копирование", "серверы"),
    ),
    DemoArticle(
        "teams-cache-en",
        "Teams not working: clear the cache",
        "Quit Teams, delete %APPDATA%\\Microsoft\\Teams, start it again and sign in.",
        Visibility.public,
        ("teams", "software"),
    ),
    DemoArticle(
        "support-hours",
        "Service desk hours and how to reach us",
        "Mail support@helpdesk.example at any time; phones are staffed 09:00-18:00 Moscow and "
        "09:00-17:30 London. Premium contracts have a 24x7 line.",
        Visibility.public,
        ("contact", "hours"),
    ),
)
