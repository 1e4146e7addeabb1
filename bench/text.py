"""Mail text for the filled mailboxes: words of the trade in English, Georgian and Russian.

Words are drawn with Zipf-like weights (a few very common, most of them rare), as in real
mail, and every mail also carries codes of its own (a case number, a container, a truck),
so that a search can ask for a word found in most mails, in a few, or in one.
"""

from __future__ import annotations

import random
from itertools import accumulate

ENGLISH = """
the of and to in for on with at by from is was are be this that as it not or an will
please report seizure customs officer border post inspection container truck driver
cargo declaration invoice goods shipment consignment vehicle passport document control
risk profile analysis intelligence suspect company route transit import export
cigarettes tobacco cocaine heroin cannabis tablets alcohol spirits currency cash weapons
ammunition counterfeit clothing shoes watches medicines wildlife ivory timber fuel
scanner dog search concealment luggage trailer cabin compartment pallet boxes bags
quantity value weight kilograms pieces litres euros dollars lari dram hryvnia
meeting tomorrow today yesterday week month morning afternoon evening urgent follow
attached photos details confirm request information reply thanks regards colleague
team unit office headquarters department director analyst supervisor operation joint
partner administration agreement cooperation exchange notice alert warning case file
number reference status validated pending closed opened investigation court prosecutor
arrest detained released fined penalty duty tax excise evasion fraud smuggling
trafficking network organised group vessel ship port airport railway station crossing
checkpoint lane queue shift night patrol mobile team sample laboratory result positive
negative tested certificate origin licence permit quota tariff classification heading
valuation undervalued misdeclared hidden found discovered detected seized destroyed
returned forwarded shared received sent delivered signed encrypted message mail
Sarpi Kazbegi Sadakhlo Red Bridge Poti Batumi Tbilisi Yerevan Bagratashen Lars Kyiv
Odesa Istanbul Trabzon Baku Astara Gyumri
"""

GEORGIAN = """
საბაჟო ოფიცერი კონტეინერი სატვირთო მანქანა მძღოლი ტვირთი დეკლარაცია ინვოისი
საქონელი გადაზიდვა პასპორტი დოკუმენტი კონტროლი რისკი ანალიზი დაზვერვა ეჭვმიტანილი
კომპანია მარშრუტი ტრანზიტი იმპორტი ექსპორტი სიგარეტი თამბაქო კოკაინი ჰეროინი
ალკოჰოლი ვალუტა ფული იარაღი ყალბი ტანსაცმელი წამალი საწვავი სკანერი ძაღლი
ჩხრეკა დამალვა ბარგი რაოდენობა ღირებულება წონა კილოგრამი ცალი ლარი შეხვედრა ხვალ
დღეს გუშინ კვირა თვე დილა საღამო სასწრაფო ფოტოები დეტალები დადასტურება მოთხოვნა
ინფორმაცია პასუხი მადლობა პატივისცემით კოლეგა ოპერაცია ერთობლივი პარტნიორი
თანამშრომლობა გაფრთხილება საქმე ნომერი სტატუსი გამოძიება სასამართლო პროკურორი
დაკავება ჯარიმა გადასახადი თაღლითობა კონტრაბანდა ტრეფიკინგი ქსელი გემი პორტი
აეროპორტი რკინიგზა სადგური გამშვები პუნქტი ცვლა პატრული ნიმუში ლაბორატორია
შედეგი სერტიფიკატი წარმოშობა ლიცენზია ნებართვა აღმოჩენილი ამოღებული განადგურებული
სარფი ყაზბეგი სადახლო ფოთი ბათუმი თბილისი
"""

RUSSIAN = """
таможня офицер контейнер грузовик водитель груз декларация счёт товар партия паспорт
документ контроль риск анализ разведка подозреваемый компания маршрут транзит импорт
экспорт сигареты табак кокаин героин алкоголь валюта наличные оружие контрафакт одежда
лекарства топливо сканер собака досмотр тайник багаж количество стоимость вес
килограммы штуки встреча завтра сегодня вчера неделя месяц срочно фотографии детали
подтверждение запрос информация ответ спасибо уважением коллега операция совместная
партнёр сотрудничество предупреждение дело номер статус расследование суд прокурор
задержание штраф пошлина налог мошенничество контрабанда сеть судно порт аэропорт
железная дорога станция пункт пропуска смена патруль образец лаборатория результат
сертификат происхождение лицензия разрешение обнаружено изъято уничтожено Верхний Ларс
Одесса Киев Ереван Тбилиси Батуми
"""

LANGUAGES: dict[str, tuple[str, ...]] = {
    name: tuple(dict.fromkeys(text.split()))
    for name, text in (("en", ENGLISH), ("ka", GEORGIAN), ("ru", RUSSIAN))
}
#: how many mails of a hundred are written in each language
SHARES = {"en": 60, "ka": 25, "ru": 15}
# Zipf-like: the n-th word of a language's list is about 1/n as frequent as its first
_CUMULATIVE = {
    name: list(accumulate(1 / (1 + rank) for rank in range(len(vocabulary))))
    for name, vocabulary in LANGUAGES.items()
}
CONTAINER_OWNERS = ("MSCU", "MAEU", "CMAU", "HLXU", "TGHU", "OOLU")


def language(number: int) -> str:
    """The language mail ``number`` is written in (by the shares, in a fixed pattern)."""
    slot = number * 37 % 100
    for name, share in SHARES.items():
        if slot < share:
            return name
        slot -= share
    return "en"


def words(rng: random.Random, count: int, lang: str = "en") -> list[str]:
    """``count`` words of the trade in ``lang``, common ones more often."""
    return rng.choices(LANGUAGES[lang], cum_weights=_CUMULATIVE[lang], k=count)


def codes(rng: random.Random, number: int) -> list[str]:
    """A mail's own codes: a case number, a container and a truck plate (rare words)."""
    letters = "ABCDEFGHKLMNT"
    return [
        f"GE-{2020 + number % 6}-{number:07d}",
        f"{rng.choice(CONTAINER_OWNERS)}{rng.randrange(10**7):07d}",
        f"{rng.choice(letters)}{rng.choice(letters)}-{rng.randrange(1000):03d}-"
        f"{rng.choice(letters)}{rng.choice(letters)}",
    ]


def subject(rng: random.Random, number: int) -> str:
    return " ".join([*words(rng, 4, language(number)), codes(rng, number)[0]])


def body(rng: random.Random, number: int, size: int = 1024) -> str:
    """About ``size`` characters of text: sentences of words, the mail's codes among them."""
    parts: list[str] = []
    length = 0
    own = codes(rng, number)
    lang = language(number)
    while length < size:
        sentence = words(rng, rng.randrange(6, 16), lang)
        if own and rng.random() < 0.3:
            sentence.insert(rng.randrange(len(sentence)), own.pop())
        text = " ".join(sentence) + "."
        text = text[0].upper() + text[1:]
        parts.append(text)
        length += len(text) + 1
    return " ".join(parts + own)
