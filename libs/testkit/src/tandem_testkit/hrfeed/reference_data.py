"""Fixed tables the synthetic organisation is drawn from.

Every city carries its own IANA timezone (countries such as the US, Canada or
Australia span several), languages are BCP 47 tags, and names are ASCII so that the
synthetic e-mail addresses stay valid without transliteration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

REFERENCE_DATE = date(2026, 11, 1)
HIRE_HISTORY_YEARS = 20
EMAIL_DOMAIN = "example.com"
EXECUTIVE_OFFICE = "Executive Office"
CHIEF_EXECUTIVE_TITLE = "Chief Executive Officer"

DIGITAL = "digital-technical"
LEADERSHIP = "leadership-management"
BUSINESS = "business-domain"
INTERPERSONAL = "interpersonal-cultural"
CAREER = "career"
SKILL_CATEGORIES: tuple[str, ...] = (DIGITAL, LEADERSHIP, BUSINESS, INTERPERSONAL, CAREER)


@dataclass(frozen=True, slots=True)
class City:
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    weight: float
    languages: tuple[str, ...]
    extra_languages: tuple[str, str]
    cities: tuple[City, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    weight: float
    roles: tuple[str, ...]
    home_category: str


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        0.22,
        ("en",),
        ("es", "zh"),
        (
            City("New York", "America/New_York"),
            City("Chicago", "America/Chicago"),
            City("Austin", "America/Chicago"),
            City("Denver", "America/Denver"),
            City("San Francisco", "America/Los_Angeles"),
            City("Seattle", "America/Los_Angeles"),
        ),
        ("James", "Mary", "Michael", "Jennifer", "David", "Ashley", "Tyler", "Madison"),
        ("Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Garcia", "Wilson"),
    ),
    Country(
        "CA",
        0.04,
        ("en",),
        ("fr", "zh"),
        (
            City("Toronto", "America/Toronto"),
            City("Montreal", "America/Toronto"),
            City("Vancouver", "America/Vancouver"),
            City("Calgary", "America/Edmonton"),
        ),
        ("Liam", "Olivia", "Noah", "Emma", "Lucas", "Chloe", "Ethan", "Charlotte"),
        ("Tremblay", "Roy", "Gagnon", "MacDonald", "Campbell", "Leblanc", "Scott", "Murray"),
    ),
    Country(
        "MX",
        0.04,
        ("es",),
        ("en", "fr"),
        (City("Mexico City", "America/Mexico_City"), City("Monterrey", "America/Monterrey")),
        ("Jose", "Maria", "Luis", "Guadalupe", "Carlos", "Fernanda", "Diego", "Valeria"),
        ("Hernandez", "Lopez", "Martinez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Flores"),
    ),
    Country(
        "BR",
        0.06,
        ("pt",),
        ("en", "es"),
        (
            City("Sao Paulo", "America/Sao_Paulo"),
            City("Rio de Janeiro", "America/Sao_Paulo"),
            City("Recife", "America/Recife"),
            City("Manaus", "America/Manaus"),
        ),
        ("Ana", "Joao", "Beatriz", "Pedro", "Larissa", "Gabriel", "Camila", "Rafael"),
        ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida"),
    ),
    Country(
        "GB",
        0.08,
        ("en",),
        ("fr", "pl"),
        (
            City("London", "Europe/London"),
            City("Manchester", "Europe/London"),
            City("Edinburgh", "Europe/London"),
        ),
        ("Oliver", "Amelia", "George", "Isla", "Harry", "Sophie", "Jack", "Grace"),
        ("Taylor", "Jones", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes"),
    ),
    Country(
        "DE",
        0.08,
        ("de",),
        ("en", "fr"),
        (
            City("Berlin", "Europe/Berlin"),
            City("Munich", "Europe/Berlin"),
            City("Hamburg", "Europe/Berlin"),
        ),
        ("Lukas", "Anna", "Felix", "Lea", "Jonas", "Hannah", "Paul", "Mia"),
        ("Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
    ),
    Country(
        "FR",
        0.05,
        ("fr",),
        ("en", "es"),
        (City("Paris", "Europe/Paris"), City("Lyon", "Europe/Paris")),
        ("Hugo", "Camille", "Louis", "Manon", "Arthur", "Ines", "Jules", "Lea"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"),
    ),
    Country(
        "ES",
        0.04,
        ("es",),
        ("en", "ca"),
        (City("Madrid", "Europe/Madrid"), City("Barcelona", "Europe/Madrid")),
        ("Pablo", "Lucia", "Alejandro", "Paula", "Daniel", "Sara", "Javier", "Carmen"),
        ("Garcia", "Fernandez", "Gonzalez", "Rodriguez", "Lopez", "Martin", "Ruiz", "Moreno"),
    ),
    Country(
        "NL",
        0.03,
        ("nl",),
        ("en", "de"),
        (City("Amsterdam", "Europe/Amsterdam"), City("Rotterdam", "Europe/Amsterdam")),
        ("Daan", "Emma", "Sem", "Julia", "Bram", "Tess", "Lars", "Sanne"),
        ("DeJong", "Jansen", "DeVries", "Bakker", "Visser", "Smit", "Meijer", "Mulder"),
    ),
    Country(
        "PL",
        0.04,
        ("pl",),
        ("en", "de"),
        (City("Warsaw", "Europe/Warsaw"), City("Krakow", "Europe/Warsaw")),
        ("Jakub", "Zuzanna", "Jan", "Julia", "Antoni", "Maja", "Szymon", "Zofia"),
        ("Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski", "Zielinski"),
    ),
    Country(
        "ZA",
        0.02,
        ("en", "af"),
        ("zu", "xh"),
        (City("Johannesburg", "Africa/Johannesburg"), City("Cape Town", "Africa/Johannesburg")),
        ("Thabo", "Lerato", "Sipho", "Naledi", "Pieter", "Anika", "Kagiso", "Zanele"),
        ("Nkosi", "Dlamini", "Botha", "VanDerMerwe", "Mokoena", "Naidoo", "Khumalo", "Smit"),
    ),
    Country(
        "NG",
        0.02,
        ("en",),
        ("yo", "ig"),
        (City("Lagos", "Africa/Lagos"), City("Abuja", "Africa/Lagos")),
        ("Chinedu", "Ngozi", "Emeka", "Aisha", "Tunde", "Funmilayo", "Ibrahim", "Chiamaka"),
        ("Okafor", "Adeyemi", "Okonkwo", "Bello", "Eze", "Balogun", "Obi", "Abubakar"),
    ),
    Country(
        "KE",
        0.01,
        ("en", "sw"),
        ("fr", "de"),
        (City("Nairobi", "Africa/Nairobi"), City("Mombasa", "Africa/Nairobi")),
        ("Wanjiru", "Kamau", "Akinyi", "Otieno", "Njeri", "Mwangi", "Achieng", "Kiprop"),
        ("Kariuki", "Odhiambo", "Wekesa", "Mutua", "Chebet", "Njoroge", "Ouma", "Kiptoo"),
    ),
    Country(
        "AE",
        0.01,
        ("ar", "en"),
        ("hi", "ur"),
        (City("Dubai", "Asia/Dubai"), City("Abu Dhabi", "Asia/Dubai")),
        ("Omar", "Fatima", "Ahmed", "Mariam", "Khalid", "Noura", "Yousef", "Layla"),
        ("AlMansouri", "AlHashimi", "Haddad", "Khalil", "Nasser", "Saleh", "Hamdan", "Aziz"),
    ),
    Country(
        "IN",
        0.12,
        ("en", "hi"),
        ("ta", "kn"),
        (
            City("Bengaluru", "Asia/Kolkata"),
            City("Hyderabad", "Asia/Kolkata"),
            City("Pune", "Asia/Kolkata"),
            City("Chennai", "Asia/Kolkata"),
        ),
        ("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Kavya", "Arjun", "Sneha"),
        ("Sharma", "Patel", "Reddy", "Iyer", "Gupta", "Nair", "Singh", "Rao"),
    ),
    Country(
        "SG",
        0.03,
        ("en",),
        ("zh", "ms"),
        (City("Singapore", "Asia/Singapore"),),
        ("Wei", "Hui", "Jun", "Mei", "Darren", "Rachel", "Arun", "Nur"),
        ("Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua"),
    ),
    Country(
        "PH",
        0.02,
        ("en", "fil"),
        ("es", "ja"),
        (City("Manila", "Asia/Manila"), City("Cebu", "Asia/Manila")),
        ("Juan", "Maria", "Jose", "Angelica", "Mark", "Kristine", "Paolo", "Camille"),
        ("DelaCruz", "Reyes", "Santos", "Garcia", "Mendoza", "Bautista", "Aquino", "Ramos"),
    ),
    Country(
        "CN",
        0.03,
        ("zh",),
        ("en", "ja"),
        (City("Shanghai", "Asia/Shanghai"), City("Shenzhen", "Asia/Shanghai")),
        ("Wei", "Fang", "Lei", "Jing", "Hao", "Xin", "Yang", "Lin"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao"),
    ),
    Country(
        "JP",
        0.04,
        ("ja",),
        ("en", "zh"),
        (City("Tokyo", "Asia/Tokyo"), City("Osaka", "Asia/Tokyo")),
        ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Takumi", "Sakura"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"),
    ),
    Country(
        "AU",
        0.03,
        ("en",),
        ("zh", "it"),
        (
            City("Sydney", "Australia/Sydney"),
            City("Melbourne", "Australia/Melbourne"),
            City("Brisbane", "Australia/Brisbane"),
            City("Perth", "Australia/Perth"),
        ),
        ("Jack", "Ruby", "William", "Matilda", "Thomas", "Zoe", "Cooper", "Isabella"),
        ("Smith", "Jones", "Kelly", "Ryan", "Anderson", "Clarke", "Mitchell", "Harris"),
    ),
)

DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "Engineering",
        0.22,
        ("Software Engineer", "Platform Engineer", "QA Engineer", "Site Reliability Engineer"),
        DIGITAL,
    ),
    Department("Data and Analytics", 0.07, ("Data Analyst", "Data Scientist"), DIGITAL),
    Department(
        "Information Technology",
        0.06,
        ("IT Support Analyst", "Systems Administrator", "Security Analyst"),
        DIGITAL,
    ),
    Department("Product", 0.07, ("Product Manager", "Product Designer", "UX Researcher"), BUSINESS),
    Department(
        "Sales",
        0.13,
        ("Account Executive", "Sales Development Representative", "Solutions Consultant"),
        BUSINESS,
    ),
    Department(
        "Marketing",
        0.07,
        ("Marketing Specialist", "Content Strategist", "Brand Specialist"),
        DIGITAL,
    ),
    Department("Customer Success", 0.1, ("Customer Success Manager", "Support Specialist"), INTERPERSONAL),
    Department("Finance", 0.07, ("Financial Analyst", "Accountant", "Treasury Analyst"), BUSINESS),
    Department("People", 0.05, ("HR Business Partner", "Recruiter", "Learning Specialist"), INTERPERSONAL),
    Department(
        "Operations",
        0.1,
        ("Operations Analyst", "Supply Chain Planner", "Procurement Specialist"),
        BUSINESS,
    ),
    Department("Legal and Compliance", 0.03, ("Legal Counsel", "Compliance Analyst"), BUSINESS),
    Department("Strategy", 0.03, ("Strategy Analyst", "Business Analyst"), LEADERSHIP),
)

# Individual contributors and managers of the same seniority carry different titles;
# index = seniority level (index 0 unused).
IC_TITLE_PATTERNS: tuple[str, ...] = (
    "",
    "Junior {role}",
    "{role}",
    "Senior {role}",
    "Lead {role}",
    "Principal {role}",
    "Principal {role}",
    "Distinguished {role}",
    "Distinguished {role}",
    "Fellow, {department}",
    "Fellow, {department}",
)
MANAGER_TITLE_PATTERNS: tuple[str, ...] = (
    "",
    "Team Lead, {department}",
    "Team Lead, {department}",
    "Team Lead, {department}",
    "Team Lead, {department}",
    "Manager, {department}",
    "Senior Manager, {department}",
    "Director, {department}",
    "Senior Director, {department}",
    "Vice President, {department}",
    "Executive Vice President, {department}",
)

EXIT_REASONS: tuple[str, ...] = ("voluntary", "involuntary", "retirement", "other")
GOAL_OPENINGS: tuple[str, ...] = (
    "I want to get better at {wanted}.",
    "My goal this year is to grow in {wanted}.",
    "Looking for someone who can help me with {wanted}.",
    "I would like a sounding board on {wanted}.",
)
GOAL_OFFERS: tuple[str, ...] = (
    " In return I can help with {offered}.",
    " Happy to share what I have learned about {offered}.",
    " I enjoy teaching {offered}.",
)
HOURS_PER_MONTH_CHOICES: tuple[int, ...] = (2, 4, 4, 4, 6, 6, 8, 8, 10, 12, 16)
