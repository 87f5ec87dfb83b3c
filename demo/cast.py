"""The demo's fixed cast: nodes, ad accounts, mapping rules, raw objectives, copy and palettes.

Plain data, no Django. Accounts and nodes are the same whatever the seed, so `--reset` can
find the demo's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.objectives import (
    AWARENESS,
    CONVERSION,
    ENGAGEMENT,
    LEADS,
    OTHER,
    TRAFFIC,
)
from demo.artwork import Palette

DEMO_NOTE = "Yenni demo"
PLATFORMS = ("meta", "google_ads", "linkedin", "x")


@dataclass(frozen=True)
class NodeSpec:
    slug: str
    name: str
    description: str
    prefix: str  # what campaign names start with, so mapping rules can recognise them


@dataclass(frozen=True)
class AccountSpec:
    platform: str
    external_id: str
    name: str
    currency: str
    default_node: str | None


@dataclass(frozen=True)
class RuleSpec:
    node: str
    pattern: str
    pattern_kind: str  # "contains" or "regex", as NodeMappingRule.PatternKind
    priority: int
    notes: str
    account: int | None = None  # index into ACCOUNTS


# --- the fixed cast: nodes, accounts, rules -------------------------------------------------

NODES = (
    NodeSpec(
        "tu360compras",
        "Tu360Compras",
        "Marketplace de Bancolombia: tecnología, hogar y más, con pago a cuotas.",
        "T360C",
    ),
    NodeSpec(
        "tu360inmobiliario",
        "Tu360Inmobiliario",
        "Vivienda nueva y usada con financiación Bancolombia.",
        "T360I",
    ),
    NodeSpec("wompi", "Wompi", "Pasarela de pagos para comercios: links de pago, QR, botón.", "W"),
    NodeSpec("plink", "Plink", "Pagos con QR y beneficios para personas y comercios.", "PLK"),
    NodeSpec(
        "bancolombia-empresas",
        "Bancolombia Empresas",
        "Crédito, cuentas, leasing y nómina para empresas y pymes.",
        "BCE",
    ),
)
NODE_SLUGS = tuple(node.slug for node in NODES)
NODE_BY_SLUG = {node.slug: node for node in NODES}
NODE_WEIGHTS = {
    "tu360compras": 0.25,
    "tu360inmobiliario": 0.15,
    "wompi": 0.25,
    "plink": 0.15,
    "bancolombia-empresas": 0.20,
}

# External ids in each platform's own style. Fixed (not drawn from the seed) so --reset can
# find the demo's accounts whatever seed made them.
ACCOUNTS = (
    AccountSpec("meta", "act_1029384756102938", "Tu360Compras - Meta", "COP", "tu360compras"),
    AccountSpec(
        "meta", "act_2038475610293847", "Tu360Inmobiliario - Meta", "COP", "tu360inmobiliario"
    ),
    AccountSpec("meta", "act_3847561029384756", "Wompi Colombia - Meta", "COP", "wompi"),
    AccountSpec("meta", "act_5610293847561029", "Plink - Meta", "COP", "plink"),
    AccountSpec(
        "meta",
        "act_4756102938475610",
        "Grupo Bancolombia Negocios - Meta",
        "COP",
        "bancolombia-empresas",
    ),
    AccountSpec("google_ads", "482-193-7750", "Tu360Compras Google Ads", "COP", "tu360compras"),
    AccountSpec("google_ads", "731-664-2019", "Wompi Performance", "COP", "wompi"),
    AccountSpec(
        "google_ads",
        "905-318-4426",
        "Bancolombia Empresas Search & Display",
        "COP",
        "bancolombia-empresas",
    ),
    AccountSpec(
        "google_ads",
        "266-907-1583",
        "Tu360Inmobiliario Regional (USD)",
        "USD",
        "tu360inmobiliario",
    ),
    AccountSpec(
        "linkedin", "508412937", "Bancolombia Empresas LinkedIn", "USD", "bancolombia-empresas"
    ),
    AccountSpec("linkedin", "509771204", "Wompi LinkedIn", "USD", "wompi"),
    AccountSpec("x", "18ce54d4x5t", "Plink en X", "COP", "plink"),
    AccountSpec("x", "18ce55h2k9q", "Grupo Bancolombia Marcas en X", "COP", "bancolombia-empresas"),
)

# Accounts whose default is Bancolombia Empresas also run other nodes' campaigns: rules
# recognise those by the name's prefix, as a marketing lead would set them up.
RULES = (
    RuleSpec("wompi", "^W_", "regex", 10, f"{DEMO_NOTE}: Wompi campaigns start with W_"),
    RuleSpec("plink", "PLK_", "contains", 20, f"{DEMO_NOTE}: Plink campaigns carry PLK_"),
    RuleSpec(
        "tu360inmobiliario",
        "T360I",
        "contains",
        30,
        f"{DEMO_NOTE}: Tu360Inmobiliario in the shared Meta account",
        account=4,
    ),
    RuleSpec(
        "tu360compras",
        "T360C",
        "contains",
        40,
        f"{DEMO_NOTE}: Tu360Compras in the shared Google account",
        account=7,
    ),
    RuleSpec(
        "tu360compras",
        "T360C",
        "contains",
        50,
        f"{DEMO_NOTE}: Tu360Compras in the shared X account",
        account=12,
    ),
)


def _hosted_nodes(account_index: int) -> tuple[str, ...]:
    """Nodes whose campaigns may live in an account and still reach their node."""
    account = ACCOUNTS[account_index]
    if account.default_node != "bancolombia-empresas":
        return (account.default_node,) if account.default_node else ()
    nodes = [account.default_node]
    for rule in RULES:
        if (rule.account is None or rule.account == account_index) and rule.node not in nodes:
            nodes.append(rule.node)
    return tuple(nodes)


HOSTED_NODES = tuple(_hosted_nodes(index) for index in range(len(ACCOUNTS)))
PLATFORM_WEIGHTS = {"meta": 0.5, "google_ads": 0.3, "linkedin": 0.1, "x": 0.1}

# Raw objectives as each platform spells them, with how often the demo uses each. The "other"
# ones are values the mapping does not know, so the admin has something to show.
RAW_OBJECTIVES: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "meta": {
        AWARENESS: (("OUTCOME_AWARENESS", 6), ("REACH", 2), ("BRAND_AWARENESS", 1)),
        TRAFFIC: (("OUTCOME_TRAFFIC", 5), ("LINK_CLICKS", 2)),
        ENGAGEMENT: (("OUTCOME_ENGAGEMENT", 5), ("POST_ENGAGEMENT", 1), ("VIDEO_VIEWS", 1)),
        LEADS: (("OUTCOME_LEADS", 5), ("LEAD_GENERATION", 1)),
        CONVERSION: (("OUTCOME_SALES", 5), ("CONVERSIONS", 2)),
        OTHER: (("STORE_VISITS", 1),),
    },
    "google_ads": {
        AWARENESS: (
            ("DISPLAY - BRAND_AWARENESS", 3),
            ("VIDEO - TARGET_CPM", 1),
            ("DEMAND_GEN - AWARENESS_AND_REACH", 1),
        ),
        TRAFFIC: (
            ("SEARCH - WEBSITE_TRAFFIC", 3),
            ("DISPLAY - WEBSITE_TRAFFIC", 2),
            ("SEARCH - MANUAL_CPC", 1),
        ),
        ENGAGEMENT: (
            ("VIDEO - PRODUCT_AND_BRAND_CONSIDERATION", 2),
            ("DEMAND_GEN - PRODUCT_AND_BRAND_CONSIDERATION", 1),
        ),
        LEADS: (("DISPLAY - LEADS", 2), ("PERFORMANCE_MAX - LEADS", 2), ("SEARCH - LEADS", 1)),
        CONVERSION: (
            ("PERFORMANCE_MAX - SALES", 4),
            ("DISPLAY - SALES", 1),
            ("DEMAND_GEN - TARGET_CPA", 1),
        ),
        OTHER: (("SMART - LOCAL_STORE_VISITS", 1), ("DISPLAY - UNKNOWN", 1)),
    },
    "linkedin": {
        AWARENESS: (("BRAND_AWARENESS", 1),),
        TRAFFIC: (("WEBSITE_VISIT", 1),),
        ENGAGEMENT: (("ENGAGEMENT", 2), ("VIDEO_VIEW", 1)),
        LEADS: (("LEAD_GENERATION", 1),),
        CONVERSION: (("WEBSITE_CONVERSION", 1),),
        OTHER: (("JOB_APPLICANT", 1),),
    },
    "x": {
        AWARENESS: (("AWARENESS", 1), ("REACH", 2)),
        TRAFFIC: (("WEBSITE_CLICKS", 1),),
        ENGAGEMENT: (("ENGAGEMENTS", 3), ("FOLLOWERS", 1), ("VIDEO_VIEWS", 1)),
        CONVERSION: (("WEBSITE_CONVERSIONS", 2), ("APP_INSTALLS", 1)),
    },
}
OBJECTIVE_CODES = {
    AWARENESS: "AWR",
    TRAFFIC: "TRAF",
    ENGAGEMENT: "ENG",
    LEADS: "LEAD",
    CONVERSION: "CONV",
    OTHER: "OTRO",
}
NODE_OBJECTIVE_WEIGHTS = {
    "tu360compras": {AWARENESS: 15, TRAFFIC: 25, ENGAGEMENT: 10, LEADS: 5, CONVERSION: 35},
    "tu360inmobiliario": {AWARENESS: 15, TRAFFIC: 20, ENGAGEMENT: 10, LEADS: 40, CONVERSION: 10},
    "wompi": {AWARENESS: 15, TRAFFIC: 20, ENGAGEMENT: 10, LEADS: 30, CONVERSION: 20},
    "plink": {AWARENESS: 25, TRAFFIC: 20, ENGAGEMENT: 25, LEADS: 5, CONVERSION: 20},
    "bancolombia-empresas": {
        AWARENESS: 20,
        TRAFFIC: 20,
        ENGAGEMENT: 10,
        LEADS: 35,
        CONVERSION: 10,
    },
}
OTHER_SHARE = 0.03


# --- content: copy, palettes, sizes ---------------------------------------------------------


@dataclass(frozen=True)
class NodeContent:
    themes: tuple[str, ...]
    headlines: tuple[str, ...]
    offers: tuple[str, ...]
    calls_to_action: tuple[str, ...]
    products: tuple[str, ...]
    landing: str
    brand: str
    brand_palettes: tuple[Palette, ...]


BANCOLOMBIA_YELLOW = Palette(
    "bancolombia", (253, 218, 36), (247, 190, 20), (35, 31, 32), (255, 255, 255), (35, 31, 32)
)
BANCOLOMBIA_DARK = Palette(
    "bancolombia-dark", (44, 42, 41), (80, 76, 72), (253, 218, 36), (255, 255, 255), (25, 24, 23)
)
WOMPI_MINT = Palette(
    "wompi", (176, 242, 174), (110, 210, 160), (44, 42, 41), (255, 255, 255), (25, 35, 60)
)
WOMPI_NAVY = Palette(
    "wompi-navy", (25, 35, 60), (45, 80, 120), (176, 242, 174), (255, 255, 255), (15, 20, 40)
)
PLINK_PURPLE = Palette(
    "plink", (108, 43, 217), (170, 90, 240), (255, 214, 0), (255, 255, 255), (50, 20, 110)
)
# fmt: off
WARM = (
    Palette("warm-sunset",
            (232, 110, 60), (250, 200, 120), (120, 30, 60), (40, 25, 20), (255, 240, 220)),
    Palette("warm-coral",
            (240, 128, 128), (255, 205, 150), (40, 60, 140), (255, 255, 255), (90, 30, 40)),
    Palette("warm-sand",
            (235, 205, 160), (250, 235, 210), (200, 70, 40), (255, 255, 255), (70, 45, 30)),
)
COOL = (
    Palette("cool-ocean",
            (40, 90, 160), (120, 190, 220), (255, 200, 0), (255, 255, 255), (20, 40, 80)),
    Palette("cool-teal",
            (20, 120, 130), (120, 210, 200), (255, 120, 80), (255, 255, 255), (10, 60, 70)),
    Palette("cool-night",
            (30, 30, 70), (80, 60, 140), (120, 230, 200), (255, 255, 255), (15, 15, 40)),
)
NEUTRAL = (
    Palette("neutral-light",
            (236, 236, 236), (255, 255, 255), (220, 40, 60), (30, 30, 30), (250, 250, 250)),
)

NODE_CONTENT = {
    "tu360compras": NodeContent(
        themes=("Celulares_Cuotas", "Electro_Hogar", "Hot_Sale", "Black_Friday", "Dia_Sin_IVA",
                "Portatiles", "Regreso_a_Clases", "Televisores"),
        headlines=("Compra hoy y paga a cuotas", "Celulares con hasta 24 cuotas",
                   "Tu nuevo televisor a un clic", "Tecnología con envío gratis",
                   "Electrodomésticos para tu hogar", "Portátiles para estudiar y trabajar",
                   "Todo lo que buscas en un solo lugar", "Estrena celular este mes"),
        offers=("Hasta 40% de descuento", "Desde $899.900", "Desde $1.299.900",
                "0% de interés a 3 meses", "Envío gratis", "Hasta 24 cuotas"),
        calls_to_action=("Comprar", "Ver ofertas", "Más información"),
        products=("phone", "laptop", "card", "storefront"),
        landing="https://tu360compras.grupobancolombia.com/ofertas",
        brand="Tu360Compras",
        brand_palettes=(BANCOLOMBIA_YELLOW, BANCOLOMBIA_DARK),
    ),
    "tu360inmobiliario": NodeContent(
        themes=("Vivienda_Nueva", "Cuota_Fija", "Proyectos_VIS", "Feria_Vivienda",
                "Leasing_Habitacional", "Casa_Propia"),
        headlines=("Tu casa propia con cuota fija", "Encuentra vivienda nueva cerca de ti",
                   "Separa tu apartamento hoy", "Estrena hogar este año",
                   "Proyectos VIS con subsidio", "Tu próximo hogar te espera"),
        offers=("Cuota inicial desde $5.000.000", "Desde $180 millones",
                "Subsidio VIS disponible", "Cuota fija en pesos", "Financiación hasta 70%"),
        calls_to_action=("Solicitar información", "Ver proyectos", "Más información"),
        products=("house", "house", "storefront", "card"),
        landing="https://tu360inmobiliario.grupobancolombia.com/proyectos",
        brand="Tu360Inmobiliario",
        brand_palettes=(BANCOLOMBIA_YELLOW, BANCOLOMBIA_DARK),
    ),
    "wompi": NodeContent(
        themes=("Pagos_QR", "Link_de_Pago", "Comercios_Online", "Datafono_Virtual",
                "Boton_de_Pagos", "Tienda_Virtual"),
        headlines=("Paga con QR y recibe 10% de vuelta", "Cobra con link de pago",
                   "Recibe pagos con tarjeta en tu tienda", "Tu tienda online lista hoy",
                   "Vende más con pagos digitales", "Acepta todos los medios de pago"),
        offers=("Sin costo de afiliación", "Tarifa desde 2,65% + IVA", "Recibe tu dinero en 24 h",
                "10% de vuelta", "Sin datáfono"),
        calls_to_action=("Registrarte", "Empieza gratis", "Más información"),
        products=("qr", "phone", "storefront", "laptop"),
        landing="https://wompi.com/es/co/comercios",
        brand="wompi",
        brand_palettes=(WOMPI_MINT, WOMPI_NAVY),
    ),
    "plink": NodeContent(
        themes=("Recargas", "Pagos_Amigos", "Cashback", "Referidos", "QR_Comercios"),
        headlines=("Recarga tu celular sin filas", "Envía plata a tus amigos gratis",
                   "Paga con QR y gana", "Tus pagos del día en una app",
                   "Invita a tus amigos y gana"),
        offers=("10% de vuelta", "Gana $20.000 por referido", "Sin costo",
                "Hasta $50.000 de vuelta"),
        calls_to_action=("Descargar", "Más información", "Registrarte"),
        products=("phone", "qr", "card"),
        landing="https://plink.com.co/beneficios",
        brand="Plink",
        brand_palettes=(PLINK_PURPLE,),
    ),
    "bancolombia-empresas": NodeContent(
        themes=("Credito_Libre_Inversion", "Capital_de_Trabajo", "Cuenta_Empresas", "Leasing",
                "Factoring", "Nomina"),
        headlines=("Crédito de libre inversión", "Capital de trabajo para tu empresa",
                   "Abre tu cuenta empresarial en línea", "Leasing para crecer tu negocio",
                   "Paga la nómina sin salir de la oficina"),
        offers=("Tasa desde 1,2% M.V.", "Aprobación en 48 horas",
                "Sin cuota de manejo el primer año", "Plazo hasta 60 meses"),
        calls_to_action=("Solicitar ahora", "Más información", "Contáctanos"),
        products=("card", "storefront", "laptop", "house"),
        landing="https://www.bancolombia.com/empresas",
        brand="Bancolombia",
        brand_palettes=(BANCOLOMBIA_YELLOW, BANCOLOMBIA_DARK),
    ),
}
# fmt: on
AUDIENCES = ("Prospecting", "Retargeting", "LAL", "Bogota", "Medellin", "Nacional", "Pymes")

# Ad sizes are the platforms' usual ones at half size or less: 1080×1080 → 540×540,
# 1080×1350 → 432×540, 1080×1920 → 360×640, 1200×628 → 600×314.
SIZES = {
    "meta": (((540, 540), 0.5), ((432, 540), 0.3), ((360, 640), 0.2)),
    "google_ads": (((600, 314), 0.6), ((540, 540), 0.4)),
    "linkedin": (((600, 314), 0.6), ((540, 540), 0.4)),
    "x": (((600, 314), 0.5), ((540, 540), 0.5)),
}
SIZE_NAMES = {(540, 540): "1x1", (432, 540): "4x5", (360, 640): "9x16", (600, 314): "191x1"}
SOURCE_HOSTS = {
    "meta": "https://scontent.fbcdn.demo.invalid/v/t45.1600-4",
    "google_ads": "https://tpc.googlesyndication.demo.invalid/simgad",
    "linkedin": "https://media.licdn.demo.invalid/dms/image",
    "x": "https://pbs.twimg.demo.invalid/media",
}
